// FastPix live events: `POST /webhooks/fastpix`, `video.live_stream.*` in a Mux-like envelope.
// `FastPix-Signature` = base64(HMAC-SHA256(base64-decoded FASTPIX_WEBHOOK_SECRET, raw body)).
// The dashboard checks a new webhook URL with an unsigned empty or `{}` body: a 200, nothing
// stored. Live streams are `data.streamId` (else `data.id`, else `object.id`); simulcast targets
// their own kind, `data.simulcastId`, parent `data.livestreamId`. Time `created_at` (or
// `createdAt`); de-duplication key `webhookId` (or `id`) + type + stream + time.
// `data.streamKey` and `data.rtmpUrl` are credentials: never read.
import { fromBase64, hmacKey, hmacMatches, invalid, missing, notConfigured, setting } from "../auth.js";
import { liveStream, simulcastTarget } from "./live-stream.js";
import { event, fields, ignored, maybeStream, missingField, providerTime, stream } from "./shape.js";

const ID = "fastpix";
const SECRET = "FASTPIX_WEBHOOK_SECRET";
const HEADER = "FastPix-Signature header";
const PREFIX = "video.live_stream.";
const UNKNOWN = "unknown FastPix live stream event type";
const f = fields(ID);
const PROBE = /^[ \t\n\r\f]*(\{\})?[ \t\n\r\f]*$/;
const latin1 = new TextDecoder("latin1");

export default {
  id: ID,
  route: "fastpix",
  secrets: [SECRET],

  /** The dashboard's unsigned connectivity check: an empty or `{}` body, no signature. */
  isProbe: ({ headers, body }) => headers.get("FastPix-Signature") === null && PROBE.test(latin1.decode(body)),

  async authenticateBody({ env, headers, body, next }) {
    const secret = setting(env, SECRET, next);
    if (!secret) throw notConfigured(SECRET);
    const keyBytes = fromBase64(secret.trim());
    if (!keyBytes?.length) throw notConfigured("FASTPIX_WEBHOOK_SECRET (as base64)");
    const header = headers.get("FastPix-Signature");
    if (header === null) throw missing(HEADER);
    const sig = fromBase64(header.trim());
    if (!sig || !(await hmacMatches(hmacKey(secret, keyBytes), sig, body))) throw invalid(HEADER);
  },

  parse(body, receivedAtNs) {
    const env = f.root(body);
    const type = f.reqStr(env, "type");
    const webhookId = f.str(env, "webhookId");
    const object = f.obj(env, "object");
    const data = f.obj(env, "data") ?? {};
    const createdAt = f.str(env, "created_at");
    const id = f.str(env, "id");
    const createdAtCamel = f.str(env, "createdAt");
    const objectId = f.str(object, "id");
    const streamId = f.str(data, "streamId");
    const dataId = f.str(data, "id");
    const status = f.str(data, "status");
    const simulcastId = f.str(data, "simulcastId");
    const livestreamId = f.str(data, "livestreamId");
    if (!type.startsWith(PREFIX)) return ignored(type, "not a live stream event");
    const name = type.slice(PREFIX.length);
    // The live stream an ignored event still names, for its history.
    const named = streamId === undefined ? undefined : maybeStream(ID, "live_input", streamId);
    let kind, state, recording;
    if (name.startsWith("simulcast_target.")) {
      state = simulcastTarget(name.slice("simulcast_target.".length));
      if (!state) return ignored(type, UNKNOWN, named);
      kind = "simulcast_target";
    } else {
      const life = liveStream(name, status);
      if (life === "no_status") return ignored(type, "no recognisable data.status", named);
      if (!life) return ignored(type, UNKNOWN, named);
      ({ state, recording } = life);
      kind = "live_input";
    }
    const target = kind === "simulcast_target";
    const sid = target ? simulcastId : streamId ?? dataId ?? objectId;
    const field = target ? "data.simulcastId" : "data.streamId";
    const parentId = target ? livestreamId ?? objectId : undefined;
    if (sid === undefined) throw missingField(ID, field);
    const s = stream(ID, kind, sid, field);
    if (parentId !== undefined) stream(ID, "live_input", parentId, "data.livestreamId");
    let occurredAt = receivedAtNs;
    let timeSource = "receipt";
    if (createdAt !== undefined) [occurredAt, timeSource] = [providerTime(createdAt, "created_at"), "provider"];
    else if (createdAtCamel !== undefined) [occurredAt, timeSource] = [providerTime(createdAtCamel, "createdAt"), "provider"];
    return {
      event: event(s, {
        parentId,
        state,
        recording,
        occurredAt,
        timeSource,
        eventType: type,
        eventId: `${webhookId ?? id ?? "-"}|${type}|${s.key}|${occurredAt}`,
      }),
    };
  },
};
