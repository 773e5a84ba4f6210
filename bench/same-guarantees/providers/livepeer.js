// Livepeer Studio: `POST /webhooks/livepeer`, `{id, createdAt, timestamp, event, stream, payload}`.
// `Livepeer-Signature: t=<ms>,v1=<hex>`, v1 = HMAC-SHA256(LIVEPEER_WEBHOOK_SECRET, raw body);
// Studio does not sign `t` but signs the body's `timestamp` (the send time): one more than 300 s
// from now is a replay. `stream.started` → live, `stream.idle` → idle; recording events keep the
// state (`recording.ready` names the latest recording, `payload.session.assetId`); multistream
// targets are their own records (kind `simulcast_target`, parent the stream). Time `createdAt`
// (ms); de-duplication key `id`.
import { headerPairs, hmacKey, hmacMatches, invalid, missing, notConfigured, setting, unhex } from "../auth.js";
import { event, fields, ignored, missingField, stream } from "./shape.js";

const ID = "livepeer";
const SECRET = "LIVEPEER_WEBHOOK_SECRET";
const HEADER = "Livepeer-Signature header";
const TOLERANCE_MS = 300_000;
const f = fields(ID);
const utf8 = new TextDecoder();

const TRACKED = new Set([
  "stream.started", "stream.idle", "recording.started", "recording.waiting", "recording.ready",
  "multistream.connected", "multistream.disconnected", "multistream.error",
]);

const MULTISTREAM_ERROR = {
  code: "multistream.error",
  message: "Livepeer could not push the stream to this multistream target.",
  hint: "Check the target's ingest URL and stream key on the destination service, and that its profile suits it; Livepeer retries while the stream is live.",
};

export default {
  id: ID,
  route: "livepeer",
  secrets: [SECRET],

  async authenticateBody({ env, headers, body, nowS, next }) {
    const secret = setting(env, SECRET, next);
    if (!secret) throw notConfigured(SECRET);
    const header = headers.get("Livepeer-Signature");
    if (header === null) throw missing(HEADER);
    const key = hmacKey(secret);
    let signed = false;
    for (const [k, v] of headerPairs(header)) {
      const sig = k === "v1" ? unhex(v) : undefined;
      if (sig && (await hmacMatches(key, sig, body))) {
        signed = true;
        break;
      }
    }
    if (!signed) throw invalid(HEADER);
    // The body's own send time, read only once its signature is known good.
    let sent;
    try {
      sent = JSON.parse(utf8.decode(body)).timestamp;
    } catch {}
    if (!Number.isSafeInteger(sent) || sent < 0 || Math.abs(sent - nowS * 1000) > TOLERANCE_MS) throw invalid("Livepeer-Signature time");
  },

  parse(body) {
    const env = f.root(body);
    const id = f.reqStr(env, "id");
    const type = f.reqStr(env, "event");
    const createdAt = f.reqUint(env, "createdAt");
    const rawStream = f.obj(env, "stream");
    const payload = f.obj(env, "payload") ?? {};
    const session = f.obj(payload, "session");
    const target = f.obj(payload, "target");
    const s = rawStream ? stream(ID, "live_input", f.reqStr(rawStream, "id"), "stream.id") : undefined;
    if (!TRACKED.has(type)) return ignored(type, "Livepeer event livehook does not track", s);
    if (!s) throw missingField(ID, "stream");
    const base = {
      state: "live",
      occurredAt: BigInt(createdAt) * 1_000_000n,
      eventType: type,
      eventId: id,
      name: f.str(rawStream, "name") || undefined,
    };
    switch (type) {
      case "stream.started":
        return { event: event(s, base) };
      case "stream.idle":
        return { event: event(s, { ...base, state: "idle" }) };
      case "recording.started":
        return { event: event(s, { ...base, keepsState: true, recording: true }) };
      // Only an assumption for a stream livehook has not heard of: the session has ended.
      case "recording.waiting":
        return { event: event(s, { ...base, keepsState: true, state: "idle", recording: false }) };
      case "recording.ready": {
        if (!session) throw missingField(ID, "payload.session");
        const asset = f.str(session, "assetId") ?? f.str(session, "id");
        if (asset === undefined) throw missingField(ID, "payload.session.assetId");
        const latestRecording = stream(ID, "video", asset, "payload.session.assetId").id;
        return { event: event(s, { ...base, keepsState: true, state: "idle", recording: false, latestRecording }) };
      }
      default: {
        if (!target) throw missingField(ID, "payload.target");
        const t = stream(ID, "simulcast_target", f.reqStr(target, "id"), "payload.target.id");
        const state = { "multistream.connected": "live", "multistream.disconnected": "disconnected" }[type] ?? "errored";
        return {
          event: event(t, {
            ...base,
            parentId: s.id,
            name: f.str(target, "name") || undefined,
            state,
            error: state === "errored" ? { ...MULTISTREAM_ERROR } : undefined,
          }),
        };
      }
    }
  },
};
