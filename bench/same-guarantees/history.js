// A stream's recent history: the last 100 events its object received, whatever became of them,
// for `GET /streams/{provider}/{id}/events`. One storage key per entry
// (`h:{received ms, 15 digits}:{n, 6 digits}`, so a reverse listing is newest first); each entry
// is bounded and holds no secret: the event type, times, outcome, state after it, error code.
import { truncate } from "./event.js";
import { formatMs, formatRfc3339 } from "./time.js";

export const MAX_HISTORY = 100;
export const HISTORY_PREFIX = "h:";
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

/** The keys of a stream's stored entries, oldest first, kept in the object's memory. */
export class HistoryIndex {
  constructor(keys) {
    this.keys = keys.filter((k) => k.startsWith(HISTORY_PREFIX)).sort();
    this.next = this.keys.length;
  }

  get length() {
    return this.keys.length;
  }

  /** The key for a new entry received at `ms`. */
  push(ms) {
    // The counter keeps keys of one millisecond apart and in order; a key that would sort
    // before the newest (a clock step back) takes the newest one's time instead.
    let key = `${HISTORY_PREFIX}${String(ms).padStart(15, "0")}:${String(this.next % 1_000_000).padStart(6, "0")}`;
    const last = this.keys.at(-1);
    if (last !== undefined && key <= last) key = `${last}+`;
    this.next += 1;
    this.keys.push(key);
    return key;
  }

  /** The oldest keys beyond the newest MAX_HISTORY, to delete once the new entries are written. */
  trim() {
    const excess = this.keys.length - MAX_HISTORY;
    return excess > 0 ? this.keys.splice(0, excess) : [];
  }
}
