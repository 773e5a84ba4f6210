// Cloudflare Stream Live through Cloudflare Notifications: `POST /webhooks/cloudflare`.
// `cf-webhook-auth` must equal CF_WEBHOOK_SECRET (constant time, before the body is read).
// `data.event_type`: connected / disconnected / errored (with code, message and a hint); a body
// with `text` and no `data` is "Save and Test". Time `data.updated_at`, else `ts`. No event id:
// the de-duplication key is the input, event type, time and error code.
import { expectSecret, missing, notConfigured, setting } from "../auth.js";
import { event, fields, ignored, maybeStream, providerTime, shapeError, stream } from "./shape.js";

const ID = "cloudflare";
const SECRET = "CF_WEBHOOK_SECRET";
const HEADER = "cf-webhook-auth header";
const f = fields(ID);

const HINTS = {
  ERR_GOP_OUT_OF_RANGE: "Set a fixed keyframe interval in the encoder (2 seconds is a safe value; in OBS: Output > Keyframe Interval = 2) and reconnect.",
  ERR_UNSUPPORTED_VIDEO_CODEC: "Switch the encoder to a video codec the ingest protocol supports (H.264 works with RTMPS and SRT) and reconnect.",
  ERR_UNSUPPORTED_AUDIO_CODEC: "Switch the encoder to an audio codec the ingest protocol supports (AAC for RTMPS and SRT, Opus for WebRTC) and reconnect.",
  ERR_STORAGE_QUOTA_EXHAUSTED: "The account's Stream storage is full: delete older videos or buy more storage, then reconnect.",
  ERR_MISSING_SUBSCRIPTION: "The account has no active Stream subscription: check billing in the Cloudflare dashboard before going live.",
};
const hintFor = (code) => (Object.hasOwn(HINTS, code) ? HINTS[code] : "Unrecognised error code: see Cloudflare's Stream Live webhook documentation.");

const STATES = { "live_input.connected": "connected", "live_input.disconnected": "disconnected", "live_input.errored": "errored" };

export default {
  id: ID,
  route: "cloudflare",
  secrets: [SECRET],

  async authenticateHeaders({ env, headers, next }) {
    const secret = setting(env, SECRET, next);
    if (!secret) throw notConfigured(SECRET);
    const got = headers.get("cf-webhook-auth");
    if (got === null) throw missing(HEADER);
    await expectSecret(got, secret, HEADER);
  },

  parse(body, receivedAtNs) {
    const root = f.root(body);
    const text = f.str(root, "text");
    const data = f.obj(root, "data");
    f.num(root, "ts");
    const alertType = f.str(root, "alert_type");
    if (!data) {
      if (text !== undefined) return { test: true };
      throw shapeError(ID, "missing field `data`");
    }
    const inputId = f.str(data, "input_id");
    const eventType = f.str(data, "event_type");
    const updatedAt = f.str(data, "updated_at");
    const errored = f.obj(data, "live_input_errored");
    const errorBody = f.obj(errored, "error");
    const rawCode = f.str(errorBody, "code");
    const rawMessage = f.str(errorBody, "message");
    if (inputId === undefined || eventType === undefined) {
      // Another notification type (DDoS, SSL, health checks…) sent to this destination.
      return ignored(alertType, "not a Stream Live notification");
    }
    const state = Object.hasOwn(STATES, eventType) ? STATES[eventType] : undefined;
    if (!state) return ignored(eventType, "unknown Stream Live event type", maybeStream(ID, "live_input", inputId));
    let error;
    if (state === "errored") {
      const code = rawCode ?? "ERR_UNKNOWN";
      error = { code, message: rawMessage ?? "", hint: hintFor(code) };
    }
    const s = stream(ID, "live_input", inputId, "data.input_id");
    let occurredAt;
    let timeSource = "provider";
    const ts = root.ts;
    if (updatedAt !== undefined) occurredAt = providerTime(updatedAt, "data.updated_at");
    else if (typeof ts === "number") {
      if (!Number.isSafeInteger(ts)) throw shapeError(ID, "wrong type or value of `ts`");
      occurredAt = BigInt(ts) * 1_000_000_000n;
    } else {
      occurredAt = receivedAtNs;
      timeSource = "receipt";
    }
    return {
      event: event(s, {
        state,
        occurredAt,
        timeSource,
        eventType,
        eventId: `${eventType}|${inputId}|${occurredAt}|${error?.code ?? ""}`,
        error,
      }),
    };
  },
};
