// Mux Video live streams: `POST /webhooks/mux`, `{type, id, created_at, object, data}`.
// `Mux-Signature: t=<unix s>,v1=<hex>` over `"{t}.{raw body}"` (any of several v1), t within
// 300 s. Live streams (`data.id`, else `object.id`) follow the lifecycle Mux defined;
// `video.live_stream.warning` raises a warning on a stream that goes on (an alert); simulcast
// targets are their own records (`data.id`, parent `data.live_stream_id`), `errored` with its
// severity. Time `created_at`; de-duplication key the event `id`. `data.stream_key`,
// `data.srt_passphrase` and a target's `url` and `stream_key` are credentials: never read.
import { notConfigured, setting, timedSignature } from "../auth.js";
import { liveStream, simulcastTarget, statusState } from "./live-stream.js";
import { event, fields, ignored, missingField, providerTime, stream } from "./shape.js";

const ID = "mux";
const SECRET = "MUX_WEBHOOK_SECRET";
const PREFIX = "video.live_stream.";
const TARGET_PREFIX = "video.live_stream.simulcast_target.";
const UNKNOWN = "unknown Mux live stream event type";
const f = fields(ID);

const verify = timedSignature({ header: "Mux-Signature header", stale: "Mux-Signature time", timeKey: "t", sigKey: "v1" });

/** An errored simulcast target: Mux says only how bad it is. */
function targetError(severity) {
  const fatal = severity === "fatal";
  return {
    code: `simulcast_target_errored:${severity || "normal"}`,
    message: fatal
      ? "The target is incompatible with the live stream's current input: Mux stops trying it for this broadcast."
      : "The target could not connect to the third-party service, or lost its connection: Mux keeps trying and it may go back to broadcasting.",
    hint: fatal
      ? "Check what the third-party service accepts (codec, resolution, bitrate, protocol) against the encoder's settings; it will be tried again on the next broadcast."
      : "Check the target's URL and stream key on the third-party service, and that the service is up.",
  };
}

export default {
  id: ID,
  route: "mux",
  secrets: [SECRET],

  async authenticateBody({ env, headers, body, nowS, next }) {
    const secret = setting(env, SECRET, next);
    if (!secret) throw notConfigured(SECRET);
    await verify(secret, headers.get("Mux-Signature"), body, nowS);
  },

  parse(body) {
    const env = f.root(body);
    const type = f.reqStr(env, "type");
    const eventId = f.reqStr(env, "id");
    const createdAt = f.reqStr(env, "created_at");
    const objectId = f.str(f.obj(env, "object"), "id");
    const data = f.obj(env, "data") ?? {};
    const dataId = f.str(data, "id");
    const status = f.str(data, "status");
    const liveStreamId = f.str(data, "live_stream_id");
    const severity = f.str(data, "error_severity");
    const warning = f.obj(data, "warning");
    const title = f.str(f.obj(data, "meta"), "title") || undefined;
    if (!type.startsWith(PREFIX)) return ignored(type, "not a live stream event");
    const name = type.slice(PREFIX.length);
    const base = (s, state) => event(s, { state, occurredAt: providerTime(createdAt, "created_at"), eventType: type, eventId });

    if (type.startsWith(TARGET_PREFIX)) {
      if (dataId === undefined) throw missingField(ID, "data.id");
      const s = stream(ID, "simulcast_target", dataId, "data.id");
      const parentId = liveStreamId === undefined ? undefined : stream(ID, "live_input", liveStreamId, "data.live_stream_id").id;
      // `updated` says nothing but the target's status now.
      const target = type.slice(TARGET_PREFIX.length);
      const now = target === "updated" ? status ?? "" : target;
      if (now === "errored") return { event: { ...base(s, "errored"), parentId, error: targetError(severity) } };
      const state = simulcastTarget(now);
      if (!state) return ignored(type, UNKNOWN, s);
      return { event: { ...base(s, state), parentId } };
    }

    const id = dataId ?? objectId;
    if (id === undefined) throw missingField(ID, "data.id");
    const s = stream(ID, "live_input", id, "data.id");
    if (name === "warning") {
      const raised = {
        code: f.str(warning, "type") || "warning",
        message: f.str(warning, "message") ?? "",
      };
      // Only an assumption for a stream livehook has not heard of: Mux warns about broadcasts.
      return { event: { ...base(s, statusState(status) ?? "live"), keepsState: true, warning: raised, name: title } };
    }
    const life = liveStream(name, status);
    if (life === "no_status") return ignored(type, "no recognisable data.status", s);
    if (!life) return ignored(type, UNKNOWN, s);
    return { event: { ...base(s, life.state), recording: life.recording, name: title } };
  },
};
