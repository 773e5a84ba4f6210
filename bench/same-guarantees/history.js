// A stream's recent history: the last 100 events its object received, whatever became of them,
// for `GET /streams/{provider}/{id}/events`. As livehook (livehook_core::history): one storage key
// per entry in a ring of 100 (`e:00` … `e:99`, the n-th entry in slot n mod 100) and the count of
// entries under HISTORY_COUNT_KEY, read with the ledger and written with each entry, so nothing
// is listed to write one and nothing is deleted. Each entry is bounded and holds no secret: the
// event type, times, outcome, state after it, error code.
import { truncate } from "./event.js";
import { formatMs, formatRfc3339 } from "./time.js";

export const MAX_HISTORY = 100;
export const HISTORY_PREFIX = "e:";
export const HISTORY_COUNT_KEY = "history";
const MAX_EVENT_TYPE = 100;
const MAX_CODE = 64;

/** The entry for event `e` (null `occurred_at` where the provider sends no time). */
export const entryOf = (e, receivedAtMs, outcome, state) => ({
  event_type: truncate(e.eventType, MAX_EVENT_TYPE),
  occurred_at: e.timeSource === "provider" ? formatRfc3339(e.occurredAt) : null,
  received_at: formatMs(receivedAtMs),
  outcome,
  state,
  error_code: e.error ? truncate(e.error.code, MAX_CODE) : undefined,
});

/** A message of a type livehook does not track, for a stream it names. */
export const ignoredEntry = (eventType, receivedAtMs, state) => ({
  event_type: truncate(eventType ?? "(none)", MAX_EVENT_TYPE),
  occurred_at: null,
  received_at: formatMs(receivedAtMs),
  outcome: "ignored",
  state,
});

/** The key of a stream's `n`-th entry (0-based): its slot in a ring of MAX_HISTORY keys. */
export const ringKey = (n) => `${HISTORY_PREFIX}${String(n % MAX_HISTORY).padStart(2, "0")}`;

/** The keys of the newest `limit` of `count` entries, newest first. */
export function newestKeys(count, limit) {
  const keys = [];
  for (let n = count - 1; n >= Math.max(0, count - Math.min(limit, MAX_HISTORY)); n--) keys.push(ringKey(n));
  return keys;
}
