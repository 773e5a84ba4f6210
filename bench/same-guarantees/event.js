// The one event model every provider is normalized into, the status record livehook stores (the
// KV value and the `GET /streams/…` body, key for key) and the alerts errors and warnings become.
//
// An event (internal, camelCase) is:
//   { provider, kind, id, key: "provider:kind:id", parentId?, state, recording?: boolean,
//     occurredAt: BigInt ns, timeSource: "provider" | "receipt", eventType, eventId,
//     error?: {code, message, hint}, name?, keepsState?: true,
//     warning?: {code, message} | {cleared: true}, latestRecording? }
// Records, alerts, history entries and the ledger are stored and served formats: snake_case, as
// livehook writes them.
import { formatMs, formatRfc3339 } from "./time.js";
import { hex, sha256 } from "./auth.js";

export const KINDS = ["live_input", "simulcast_target", "broadcast", "video"];

/** Breaks ties between two events with the same provider time: the later lifecycle stage wins. */
export const TIE_RANK = {
  created: 0, processing: 1, viewable: 2, ready: 3, idle: 4, connected: 5, live: 6,
  paused: 7, disconnected: 8, finished: 9, errored: 10, disabled: 11, deleted: 12,
};

const MAX_STREAM_ID = 255;
const PLAIN_ID = /^[A-Za-z0-9._~:-]{1,255}$/;
// `arn:{partition}:{service}:{region}:{account}:{type}/{id}` (IVS channels): the one id with a `/`.
const ARN = /^arn:[A-Za-z0-9-]+:[A-Za-z0-9-]+:[A-Za-z0-9-]+:[0-9]+:[A-Za-z0-9-]+\/[A-Za-z0-9_.-]+$/;

export const validStreamId = (id) => typeof id === "string" && (PLAIN_ID.test(id) || (id.length <= MAX_STREAM_ID && ARN.test(id)));

/** `{provider}:{kind}:{id}`: the stream object's name; `status:` + it is the KV key. */
export const streamKey = (provider, kind, id) => `${provider}:${kind}:${id}`;
export const kvKey = (record) => `status:${record.provider}:${record.kind}:${record.stream_id}`;

/** `s` cut to at most `max` characters, the last one `…` when something was cut. */
export function truncate(s, max) {
  if (s.length <= max) return s; // UTF-16 length ≥ characters: nothing to cut
  const chars = [...s];
  return chars.length <= max ? s : chars.slice(0, max - 1).join("") + "…";
}

export const MAX_NAME = 200;
export const MAX_EVENT_ID = 256;
export const MAX_ERROR_CODE = 64;
export const MAX_ERROR_MESSAGE = 1024;
const utf8 = new TextEncoder();

/** Caps the provider-chosen strings a stream keeps (its object remembers 64 event ids). */
export async function bound(e) {
  if (e.eventId.length > MAX_EVENT_ID / 3 && utf8.encode(e.eventId).length > MAX_EVENT_ID) {
    e.eventId = `sha256:${hex(await sha256(e.eventId))}`;
  }
  if (e.name !== undefined) e.name = truncate(e.name, MAX_NAME);
  if (e.error) {
    e.error.code = truncate(e.error.code, MAX_ERROR_CODE);
    e.error.message = truncate(e.error.message, MAX_ERROR_MESSAGE);
  }
  if (e.warning && !e.warning.cleared) {
    e.warning.code = truncate(e.warning.code, MAX_ERROR_CODE);
    e.warning.message = truncate(e.warning.message, MAX_ERROR_MESSAGE);
  }
  return e;
}

export const raisedWarning = (e) => (e.warning && !e.warning.cleared ? e.warning : undefined);

/**
 * The record after the fields of `e` that `wins` names; the rest carry over from `prev`.
 * Keys in livehook's order; optional ones are left undefined (JSON omits them).
 */
export function recordAfter(e, prev, receivedAtMs, wins) {
  const keepState = prev && !wins.state;
  let warning;
  if (e.warning && wins.warning) warning = e.warning.cleared ? undefined : { code: e.warning.code, message: e.warning.message };
  else if (!wins.clearsWarning) warning = prev?.warning;
  const keepLast = prev && !wins.last;
  return {
    provider: e.provider,
    stream_id: e.id,
    kind: e.kind,
    state: keepState ? prev.state : e.state,
    recording: (wins.recording ? e.recording : undefined) ?? prev?.recording ?? null,
    updated_at: keepLast ? prev.updated_at : formatRfc3339(e.occurredAt),
    received_at: keepLast ? prev.received_at : formatMs(receivedAtMs),
    last_event: keepLast ? prev.last_event : e.eventType,
    parent_id: e.parentId ?? prev?.parent_id,
    error: keepState ? prev.error : e.error,
    name: e.name ?? prev?.name,
    warning,
    latest_recording: (wins.latestRecording ? e.latestRecording : undefined) ?? prev?.latest_recording,
  };
}

/** `alr_` + 24 hex of SHA-256(event id): the same provider event never makes two alerts. */
export const alertIdOf = async (eventId) => `alr_${hex(await sha256(eventId)).slice(0, 24)}`;

/** A notification that the stream reached `e.state` (errors carry their code, message, hint). */
export function stateChangeAlert(e, receivedAtMs, id) {
  const err = e.state === "errored" ? e.error : undefined;
  return {
    id,
    provider: e.provider,
    stream_id: e.id,
    kind: e.kind,
    state: e.state,
    code: err?.code ?? null,
    message: err?.message ?? null,
    hint: err?.hint ?? null,
    occurred_at: formatRfc3339(e.occurredAt),
    received_at: formatMs(receivedAtMs),
    received_at_ms: receivedAtMs,
    event_type: e.eventType,
  };
}

/** The alert an errored event or a raised warning makes; `undefined` for anything else. */
export function alertFromEvent(e, receivedAtMs, id) {
  const w = raisedWarning(e);
  if (w) return { ...stateChangeAlert(e, receivedAtMs, id), code: w.code, message: w.message, hint: null, warning: true };
  if (e.error && e.state === "errored" && !e.keepsState) return stateChangeAlert(e, receivedAtMs, id);
  return undefined;
}
