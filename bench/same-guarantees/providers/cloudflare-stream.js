// Cloudflare Stream video webhooks: `POST /webhooks/cloudflare-stream`. The body is the video
// object (`uid`, `status{state, errorReasonCode|errReasonCode, errorReasonText|errReasonText}`,
// `liveInput`, `modified`, `meta`); records are Cloudflare's, kind `video`. Time `modified`;
// de-duplication key uid + state + time. A recording (`liveInput` set) has its input as parent,
// and the input learns its latest recording (a second event, for the input, that keeps its state).
// `Webhook-Signature: time=<unix s>,sig1=<hex>` over `"{time}.{raw body}"`, within 300 s.
import { notConfigured, setting, timedSignature } from "../auth.js";
import { event, fields, ignored, missingField, providerTime, stream } from "./shape.js";

const ID = "cloudflare";
const SECRET = "CF_STREAM_WEBHOOK_SECRET";
const f = fields(ID);

const verify = timedSignature({ header: "Webhook-Signature header", stale: "Webhook-Signature time", timeKey: "time", sigKey: "sig1" });

const HINTS = {
  ERR_NON_VIDEO: "The upload is not a video file: check what was uploaded.",
  ERR_DURATION_EXCEED_CONSTRAINT: "The video is longer than the upload's maxDurationSeconds: raise the limit or trim it.",
  ERR_FETCH_ORIGIN_ERROR: "Stream could not download the video from its URL: check that the URL is public and answers 200.",
  ERR_MALFORMED_VIDEO: "The file is corrupted or malformed: re-export it (H.264/AAC in MP4 is safest) and upload it again.",
  ERR_DURATION_TOO_SHORT: "The video is too short to process (under 0.1 s).",
};
const hintFor = (code) => (Object.hasOwn(HINTS, code) ? HINTS[code] : "Unrecognised video error: see Cloudflare Stream's webhook documentation.");

const STATES = {
  pendingupload: "created", downloading: "processing", queued: "processing", inprogress: "processing",
  "live-inprogress": "processing", ready: "ready", error: "errored",
};

export default {
  id: ID,
  route: "cloudflare-stream",
  secrets: [SECRET],

  async authenticateBody({ env, headers, body, nowS, next }) {
    const secret = setting(env, SECRET, next);
    if (!secret) throw notConfigured(SECRET);
    await verify(secret, headers.get("Webhook-Signature"), body, nowS);
  },

  parse(body) {
    const v = f.root(body);
    const uid = f.reqStr(v, "uid");
    const status = f.reqObj(v, "status");
    const rawState = f.reqStr(status, "state");
    const code = f.str(status, "errorReasonCode") ?? f.str(status, "errReasonCode");
    const text = f.str(status, "errorReasonText") ?? f.str(status, "errReasonText");
    const modified = f.str(v, "modified");
    const liveInput = f.str(v, "liveInput");
    const meta = f.obj(v, "meta");
    const s = stream(ID, "video", uid, "uid");
    if (modified === undefined) throw missingField(ID, "modified");
    const occurredAt = providerTime(modified, "modified");
    const state = Object.hasOwn(STATES, rawState) ? STATES[rawState] : undefined;
    if (!state) return ignored(`video.${rawState}`, "unknown Stream video state", s);
    let error;
    if (state === "errored") {
      const c = code || "ERR_UNKNOWN";
      error = { code: c, message: text ?? "", hint: hintFor(c) };
    }
    const input = liveInput ? stream(ID, "live_input", liveInput, "liveInput") : undefined;
    const name = typeof meta?.name === "string" ? meta.name : undefined;
    const video = event(s, {
      eventId: `${uid}|${rawState}|${occurredAt}`,
      parentId: input?.id,
      state,
      occurredAt,
      eventType: `video.${rawState}`,
      error,
      name,
    });
    if (!input) return { event: video };
    // The live input learns its newest recording; its own state is not the video's business.
    const also = event(input, {
      eventId: `${input.id}|recording|${uid}|${occurredAt}`,
      // Only an assumption for an input livehook has not heard of: its broadcast has ended.
      state: "disconnected",
      occurredAt,
      eventType: "video.recording",
      keepsState: true,
      latestRecording: s.id,
    });
    return { event: video, also };
  },
};
