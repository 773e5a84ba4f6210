// Gcore Streaming Platform: `POST /webhooks/gcore/{token}`, `{type, message: {stream|video|broadcast}}`.
// Gcore signs nothing, stamps no time and never retries: the sender (`CF-Connecting-IP`) must
// be in GCORE_ALLOWED_CIDRS (checked first, so the answer says nothing about the token) and the
// path token must equal GCORE_WEBHOOK_TOKEN. Arrival order at the stream's object decides; a
// message identical to the last one applied to the stream is a duplicate. Streams, videos and
// broadcasts are separate id spaces: each its own kind.
import { cidrContains, expectSecret, missing, notConfigured, ipNotAllowed, parseCidrList, parseIp, setting } from "../auth.js";
import { event, fields, ignored, maybeStream, shapeError, stream } from "./shape.js";

const ID = "gcore";
const TOKEN = "GCORE_WEBHOOK_TOKEN";
const ALLOWED_CIDRS = "GCORE_ALLOWED_CIDRS";
const DEFAULT_CIDRS = "92.223.123.0/24";
const f = fields(ID);

const VIDEO = { empty: "created", pending: "processing", viewable: "viewable", ready: "ready" };
const BROADCAST = { pending: "idle", live: "live", paused: "paused", finished: "finished" };

let cidrs; // [configured text, parsed list], once per isolate

/** The sender networks (Gcore's published range when unset); `undefined` if an entry is invalid. */
function allowed(env) {
  const text = env[ALLOWED_CIDRS] ?? DEFAULT_CIDRS;
  if (cidrs?.[0] !== text) cidrs = [text, parseCidrList(text)];
  return cidrs[1];
}

export default {
  id: ID,
  route: "gcore",
  tokenInPath: true,
  secrets: [TOKEN],

  async authenticateHeaders({ env, headers, pathToken, next }) {
    const networks = allowed(env);
    if (!networks) throw notConfigured(ALLOWED_CIDRS);
    const token = setting(env, TOKEN, next);
    if (!token) throw notConfigured(TOKEN);
    const sender = headers.get("CF-Connecting-IP");
    if (sender === null) throw missing("CF-Connecting-IP");
    const ip = parseIp(sender.trim());
    if (!ip || !networks.some((c) => cidrContains(c, ip))) throw ipNotAllowed();
    await expectSecret(pathToken ?? "", token, "webhook token");
  },

  parse(body, receivedAtNs) {
    const env = f.root(body);
    const type = f.reqStr(env, "type");
    const message = f.obj(env, "message");
    const part = (name) => {
      const p = f.obj(message, name);
      if (!p) throw shapeError(ID, `missing field \`message.${name}\``);
      return p;
    };
    let kind, id, state, recording, eventType, name;
    if (type === "stream") {
      const s = part("stream");
      id = f.reqId(s, "id");
      name = f.str(s, "name");
      const live = f.reqBool(s, "live");
      recording = f.bool(s, "recording");
      const onAir = live || f.bool(s, "backup_live") === true;
      [kind, state, eventType] = ["live_input", onAir ? "live" : "disconnected", onAir ? "stream.live" : "stream.offline"];
    } else if (type === "video" || type === "broadcast") {
      const p = part(type);
      id = f.reqId(p, "id");
      name = f.str(p, "name");
      const status = f.reqStr(p, "status");
      const states = type === "video" ? VIDEO : BROADCAST;
      kind = type;
      state = Object.hasOwn(states, status) ? states[status] : undefined;
      if (!state) return ignored(type, `unknown Gcore ${type} status`, maybeStream(ID, kind, id));
      eventType = `${type}.${status}`;
    } else {
      return ignored(type, "unknown Gcore message type");
    }
    const s = stream(ID, kind, id, "message.*.id");
    const rec = recording === true ? "rec" : recording === false ? "norec" : "-";
    return {
      event: event(s, {
        state,
        recording,
        occurredAt: receivedAtNs,
        timeSource: "receipt",
        eventType,
        eventId: `${eventType}|${s.key}|${rec}`,
        name,
      }),
    };
  },
};
