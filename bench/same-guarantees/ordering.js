// The per-stream ledger: ordering, de-duplication, KV write coalescing and the alert outbox, as
// livehook's `ordering.rs` decides them. Pure: the stream object loads a ledger, calls these with
// `now`, persists it and does the I/O they ask for.
//
// - The newest provider event wins (time, then lifecycle stage, then event id), each field on
//   its own: state, recording, warning and latest recording each end at the newest event that
//   set them. Events without a provider time (Gcore) are ordered by arrival.
// - A redelivered event changes nothing: provider-timed events are checked against the last 64
//   event ids, receipt-timed ones against the last event applied.
// - KV is written at most once a second per stream; a burst leaves the newest record to the alarm.
// - An errored event (or a raised warning) that is not a duplicate queues an alert in the
//   outbox, in the same storage write as the status, even when it is too old to change it.
import { TIE_RANK, alertFromEvent, raisedWarning, recordAfter, stateChangeAlert } from "./event.js";

export const KV_MIN_WRITE_INTERVAL_MS = 1000;
export const SEEN_CAPACITY = 64;
/** Most alerts a stream holds while the hub cannot take them; beyond it events are deferred (503). */
export const MAX_OUTBOX = 100;
const RETRY_BASE_MS = 1000;
const RETRY_MAX_MS = 60_000;

/** A new stream's ledger (stored as one value; `…_order` fields appear once set). */
export const newLedger = () => ({
  record: null,
  order: null,
  seen: [],
  version: 0,
  kv_version: 0,
  kv_slot_ms: null,
  kv_failures: 0,
  outbox: [],
  outbox_failures: 0,
  outbox_retry_ms: null,
});

const orderKey = (e) => ({ occurred_at: e.occurredAt, tie_rank: TIE_RANK[e.state], event_id: e.eventId });

function compare(a, b) {
  if (a.occurred_at !== b.occurred_at) return a.occurred_at < b.occurred_at ? -1 : 1;
  if (a.tie_rank !== b.tie_rank) return a.tie_rank - b.tie_rank;
  return a.event_id === b.event_id ? 0 : a.event_id < b.event_id ? -1 : 1;
}

const backoffMs = (failures) => Math.min(RETRY_BASE_MS * 2 ** Math.min(Math.max(failures - 1, 0), 16), RETRY_MAX_MS);

/** Whether applying `e` could queue an alert (so its id is worth computing first). */
export const mayAlert = (e, notify) => e.state === "errored" || !!raisedWarning(e) || (!e.keepsState && notify.includes(e.state));

/**
 * Applies event `e` received at `receivedAtMs` to `l` (in place). `notify`: the non-error states
 * some subscriber wants; `alertId`: the id an alert from this event gets (needed when `mayAlert`).
 * Returns `{outcome: "applied" | "stale" | "duplicate" | "deferred", alert_queued, changed}`.
 */
export function apply(l, e, receivedAtMs, notify, alertId) {
  const provider = e.timeSource === "provider";
  const duplicate = provider ? l.seen.includes(e.eventId) : l.order?.event_id === e.eventId;
  if (duplicate) return { outcome: "duplicate", alert_queued: false, changed: false };
  if (mayAlert(e, notify) && l.outbox.length >= MAX_OUTBOX) return { outcome: "deferred", alert_queued: false, changed: false };
  if (provider) {
    if (l.seen.length >= SEEN_CAPACITY) l.seen.shift();
    l.seen.push(e.eventId);
  }
  // An error or a warning happened, even if newer events already changed the stream.
  let alertQueued = false;
  const alert = alertFromEvent(e, receivedAtMs, alertId);
  if (alert && !l.outbox.some((a) => a.id === alert.id)) {
    l.outbox.push(alert);
    alertQueued = true;
  }
  const key = orderKey(e);
  const newer = (current) => !current || !provider || compare(key, current) > 0;
  // Each field wins against its own newest event, so the result never depends on delivery
  // order: an older state event still sets a recording flag newer than the one in force.
  const setsState = !e.keepsState && newer(l.order);
  const last = newer(l.last_order);
  const wins = {
    // Until a state event arrives, the newest event's assumption is the state.
    state: setsState || (!!e.keepsState && !l.order && last),
    recording: e.recording !== undefined && newer(l.recording_order),
    // A warning belongs to the state it was raised in: one older than the newest state event
    // is history (still an alert), and that state event ended any older warning.
    warning: !!e.warning && newer(l.warning_order) && newer(l.order),
    clearsWarning: setsState && newer(l.warning_order),
    latestRecording: e.latestRecording !== undefined && newer(l.recording_link_order),
    last,
  };
  if (!(wins.state || wins.recording || wins.warning || wins.latestRecording)) {
    return { outcome: "stale", alert_queued: alertQueued, changed: false };
  }
  const stateChanged = !l.record || l.record.state !== e.state;
  if (setsState && stateChanged && e.state !== "errored" && notify.includes(e.state)) {
    l.outbox.push(stateChangeAlert(e, receivedAtMs, alertId));
    alertQueued = true;
  }
  l.record = recordAfter(e, l.record, receivedAtMs, wins);
  if (setsState) l.order = key;
  if (wins.recording) l.recording_order = key;
  if (wins.warning) l.warning_order = key;
  if (wins.latestRecording) l.recording_link_order = key;
  if (wins.last) l.last_order = key;
  l.version += 1;
  const staleState = !e.keepsState && !setsState;
  return { outcome: staleState ? "stale" : "applied", alert_queued: alertQueued, changed: true };
}

/** KV holds an older record than this ledger. */
export const kvDirty = (l) => l.version > l.kv_version && l.record !== null;

function kvDueMs(l) {
  const slot = l.kv_slot_ms === null ? 0 : l.kv_slot_ms + KV_MIN_WRITE_INTERVAL_MS;
  return l.kv_failures === 0 ? slot : Math.max(slot, (l.kv_slot_ms ?? 0) + backoffMs(l.kv_failures));
}

/** If a KV write may start now, reserves the one-second slot and returns `{version, record}`. */
export function beginKvWrite(l, nowMs) {
  if (!kvDirty(l) || nowMs < kvDueMs(l)) return undefined;
  l.kv_slot_ms = nowMs;
  return { version: l.version, record: l.record };
}

export function kvWritten(l, version) {
  l.kv_version = Math.max(l.kv_version, version);
  l.kv_failures = 0;
}

export const kvFailed = (l) => void (l.kv_failures += 1);

/** Whether the outbox may be handed to the hub now. */
export const outboxDue = (l, nowMs) => l.outbox.length > 0 && (l.outbox_retry_ms === null || nowMs >= l.outbox_retry_ms);

/** The hub confirmed it stored alert `id`. */
export function alertHandedOff(l, id) {
  l.outbox = l.outbox.filter((a) => a.id !== id);
  if (l.outbox.length === 0) {
    l.outbox_failures = 0;
    l.outbox_retry_ms = null;
  }
}

/** The hand-off failed: keep the alerts, retry with backoff. */
export function alertHandOffFailed(l, nowMs) {
  l.outbox_failures += 1;
  l.outbox_retry_ms = nowMs + backoffMs(l.outbox_failures);
}

/** When the object's alarm must fire next, if anything is pending. */
export function nextAlarmMs(l, nowMs) {
  const kv = kvDirty(l) ? Math.max(kvDueMs(l), nowMs) : undefined;
  const outbox = l.outbox.length ? Math.max(l.outbox_retry_ms ?? nowMs, nowMs) : undefined;
  if (kv === undefined) return outbox;
  return outbox === undefined ? kv : Math.min(kv, outbox);
}
