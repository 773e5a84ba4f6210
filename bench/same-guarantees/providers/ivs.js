// Amazon IVS through an EventBridge API destination: `POST /webhooks/ivs`, the EventBridge
// envelope `{id, detail-type, source, time, resources, detail}`; `x-api-key` must equal
// IVS_WEBHOOK_TOKEN. Records: provider `ivs`, kind `live_input`, id the channel ARN
// (`resources[0]`), name `detail.channel_name`. Stream state changes set the state; health,
// recording and limit events keep it and set their own field (recording flag, warning). Time
// `time` (whole seconds, ties broken by lifecycle stage); de-duplication key the envelope `id`.
import { expectSecret, missing, notConfigured, setting } from "../auth.js";
import { event, fields, ignored, missingField, providerTime, stream } from "./shape.js";

const ID = "ivs";
const TOKEN = "IVS_WEBHOOK_TOKEN";
const HEADER = "x-api-key header";
const f = fields(ID);

const STATE_CHANGE = "IVS Stream State Change";
const HEALTH_CHANGE = "IVS Stream Health Change";
const RECORDING_CHANGE = "IVS Recording State Change";
const LIMIT_BREACH = "IVS Limit Breach";

const HINTS = {
  StreamFailure: "IVS could not process the stream (the reason says why, often transcode capacity): retry shortly; if it persists lower the resolution or bitrate, or ask AWS support.",
  MultitrackInputNotAllowed: "The encoder sent multitrack video to a channel that does not allow it: send one track, or set the channel's multitrack input policy to ALLOW.",
  MultitrackInputRequired: "The channel requires multitrack video: enable multitrack (e.g. OBS Enhanced Broadcasting) in the encoder, or relax the channel's multitrack input policy.",
  InvalidGetClientConfigurationStreamKey: "The encoder's multitrack configuration request had a missing or wrong stream key: check the stream key set in the encoder.",
  InvalidMultitrackInputTrackCount: "The encoder's multitrack tracks do not meet the channel's requirements: check the number of tracks, their resolutions and codecs.",
};
HINTS.GetClientConfigurationStreamKeyRequired = HINTS.InvalidGetClientConfigurationStreamKey;
HINTS.InvalidMultitrackInputVideoTrackMediaProperties = HINTS.InvalidMultitrackInputTrackCount;
const hintFor = (code) => (Object.hasOwn(HINTS, code) ? HINTS[code] : "Unrecognised IVS failure: see the IVS EventBridge documentation.");
const error = (code, message) => ({ code, message, hint: hintFor(code) });

const TAKEOVER = {
  StreamTakeoverMediaMismatch: "A stream takeover was refused: the new encoder's media (codec, resolution, tracks) differs from the running broadcast's. The running broadcast goes on.",
  StreamTakeoverInvalidPriority: "A stream takeover was refused: its priority is not higher than the running broadcast's. The running broadcast goes on.",
  StreamTakeoverLimitBreached: "A stream takeover was refused: the channel reached its takeover limit. The running broadcast goes on.",
};
const takeoverMessage = (code) => (code && Object.hasOwn(TAKEOVER, code) ? TAKEOVER[code] : "A stream takeover was refused. The running broadcast goes on.");

/** Which detail field names the event, per detail type. */
const NAME_FIELD = new Map([
  [STATE_CHANGE, "event_name"],
  [HEALTH_CHANGE, "event_name"],
  [RECORDING_CHANGE, "recording_status"],
  [LIMIT_BREACH, "limit_name"],
]);

const STARVATION = "IVS is not receiving video from the encoder: check its network and upload bandwidth.";

/** What one event does: `{state, error?}`, or `{keep: assumed state, recording?, warning?}`. */
function effect(detailType, name, d) {
  const code = d.code || undefined;
  const keep = (assume, recording, warning) => ({ state: assume, keepsState: true, recording, warning });
  if (detailType === STATE_CHANGE) {
    switch (name) {
      case "Session Created": return { state: "connected" };
      case "Stream Start":
      case "Stream Takeover": return { state: "live" };
      case "Stream End": return { state: "idle" };
      case "Session Ended": return code ? { state: "errored", error: error(code, "") } : { state: "disconnected" };
      case "Stream Failure": return { state: "errored", error: error("StreamFailure", d.reason ?? "") };
      case "Stream Takeover Failure": return keep("live", undefined, { code: code ?? "StreamTakeoverFailure", message: takeoverMessage(code) });
      default: return undefined;
    }
  }
  if (detailType === HEALTH_CHANGE) {
    if (name === "Starvation Start") return keep("live", undefined, { code: "Starvation", message: STARVATION });
    if (name === "Starvation End") return keep("live", undefined, { cleared: true });
    return undefined;
  }
  if (detailType === RECORDING_CHANGE) {
    switch (name) {
      case "Recording Start": return keep("live", true);
      // "End" assumes a later stage than "Start", so the two in one second end stopped.
      case "Recording End": return keep("disconnected", false);
      case "Recording Start Failure":
      case "Recording End Failure": {
        const reason = d.recording_status_reason || "no reason given";
        const message = `${name}: ${reason}. Check the channel's recording configuration and that IVS may write to its S3 bucket.`;
        return keep("live", false, { code: name.replaceAll(" ", ""), message });
      }
      default: return undefined;
    }
  }
  if (detailType === LIMIT_BREACH) {
    const num = (n) => (n === undefined ? "?" : String(n));
    const message = `${name} went over its limit of ${num(d.limit_value)} ${d.limit_unit ?? ""} by ${num(d.exceeded_by)}: lower the encoder's settings or raise the quota.`;
    return keep("live", undefined, { code: `LimitBreach:${name}`, message });
  }
  return undefined;
}

export default {
  id: ID,
  route: "ivs",
  secrets: [TOKEN],

  async authenticateHeaders({ env, headers, next }) {
    const token = setting(env, TOKEN, next);
    if (!token) throw notConfigured(TOKEN);
    const presented = headers.get("x-api-key");
    if (presented === null) throw missing(HEADER);
    await expectSecret(presented.trim(), token, HEADER);
  },

  parse(body) {
    const env = f.root(body);
    const id = f.reqStr(env, "id");
    const detailType = f.reqStr(env, "detail-type");
    const source = f.reqStr(env, "source");
    const time = f.reqStr(env, "time");
    const resources = f.strs(env, "resources");
    const raw = f.obj(env, "detail") ?? {};
    const d = {
      event_name: f.str(raw, "event_name"),
      channel_name: f.str(raw, "channel_name"),
      code: f.str(raw, "code"),
      reason: f.str(raw, "reason"),
      recording_status: f.str(raw, "recording_status"),
      recording_status_reason: f.str(raw, "recording_status_reason"),
      limit_name: f.str(raw, "limit_name"),
      limit_value: f.num(raw, "limit_value"),
      exceeded_by: f.num(raw, "exceeded_by"),
      limit_unit: f.str(raw, "limit_unit"),
    };
    if (source !== "aws.ivs") return ignored(detailType, "not an aws.ivs event");
    const s = resources.length ? stream(ID, "live_input", resources[0], "resources") : undefined;
    const name = NAME_FIELD.has(detailType) ? d[NAME_FIELD.get(detailType)] : undefined;
    const fx = name === undefined ? undefined : effect(detailType, name, d);
    if (!fx) return ignored(detailType, "IVS event livehook does not track", s);
    if (!s) throw missingField(ID, "resources");
    return {
      event: event(s, {
        occurredAt: providerTime(time, "time"),
        eventType: `${detailType}: ${name}`,
        eventId: id,
        name: d.channel_name || undefined,
        ...fx,
      }),
    };
  },
};
