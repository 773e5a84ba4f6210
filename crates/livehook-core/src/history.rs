//! A stream's recent history: the last [`MAX_HISTORY`] events its object received, whatever
//! became of them (applied, stale, duplicate or ignored), for `GET /streams/{provider}/{id}/events`
//! and the board. Each entry is bounded (its one provider-chosen string is cut), so a stream's
//! history stays under [`MAX_HISTORY`] × [`MAX_ENTRY_BYTES`] whatever payloads say.
//!
//! An entry holds no secret and no stream key: only the event's type, times, outcome, the state
//! after it and an error code. Entries are stored one per key, in a ring of [`MAX_HISTORY`] keys
//! ([`ring_key`]): the n-th entry a stream ever received goes to slot n mod 100, over the one it
//! received 100 entries before, and the object keeps the count under [`HISTORY_COUNT_KEY`] (read
//! with the ledger, written with each entry), so which keys hold the newest is known without
//! listing storage. Recording one is a small write, in the ledger's own put when the ledger
//! changes: no listing when an object loads, no deletes.
//!
//! A stream stored in the legacy layout holds one `h:{ms}:{n}` key per entry ([`LEGACY_PREFIX`]);
//! its first load moves the newest 100 into the ring ([`from_legacy`]).

use serde::{Deserialize, Serialize};

use crate::ingest::event::{Event, State, TimeSource};
use crate::ordering::Outcome;
use crate::text::truncate;
use crate::time::{format_rfc3339, millis_to_nanos};

/// Entries kept per stream.
pub const MAX_HISTORY: usize = 100;
/// Longest event type kept (characters).
pub const MAX_EVENT_TYPE: usize = 100;
/// Longest error code kept (characters).
pub const MAX_CODE: usize = 64;
/// An upper bound on one entry's JSON (the bounds above, times and names of fixed size).
pub const MAX_ENTRY_BYTES: usize = 4 * MAX_EVENT_TYPE + 4 * MAX_CODE + 300;
/// Storage-key prefix of history entries in a stream's object (`e:00` … `e:99`).
pub const HISTORY_PREFIX: &str = "e:";
/// Storage key of the number of entries a stream's history ever received.
pub const HISTORY_COUNT_KEY: &str = "history";
/// The keys of history entries before the ring (`h:{received ms, 15 digits}:{n}`).
pub const LEGACY_PREFIX: &str = "h:";
/// Default and largest page of `GET …/events`.
pub const DEFAULT_EVENTS: usize = 50;

/// What became of an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HistoryOutcome {
    /// It is now the stream's status.
    Applied,
    /// Older than the status: the status did not change.
    Stale,
    /// Seen before: nothing changed.
    Duplicate,
    /// The provider's message for this stream is of a kind livehook does not track.
    Ignored,
    /// A provider's API said otherwise, and the stream's record was corrected (a `reconcile`
    /// event, `crate::reconcile`).
    Corrected,
}

impl HistoryOutcome {
    /// The history's name for an ordering outcome; `None` for a deferred event (not received:
    /// the provider retries it).
    pub fn of(outcome: Outcome) -> Option<Self> {
        match outcome {
            Outcome::Applied => Some(HistoryOutcome::Applied),
            Outcome::Stale => Some(HistoryOutcome::Stale),
            Outcome::Duplicate => Some(HistoryOutcome::Duplicate),
            Outcome::Deferred => None,
        }
    }
}

/// One received event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    /// The provider's event type (`live_input.errored`, `video.live_stream.active`, …).
    pub event_type: String,
    /// The provider's time for it (RFC 3339); null where the provider sends none (Gcore).
    pub occurred_at: Option<String>,
    /// When livehook received it (RFC 3339).
    pub received_at: String,
    pub outcome: HistoryOutcome,
    /// The stream's state after it; null if the stream has no state yet.
    pub state: Option<State>,
    /// The provider's error code, for an errored event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
}

impl HistoryEntry {
    /// An event that reached the ordering step, and the state it left.
    pub fn of(
        event: &Event,
        received_at_ms: u64,
        outcome: HistoryOutcome,
        state: Option<State>,
    ) -> Self {
        HistoryEntry {
            event_type: truncate(&event.event_type, MAX_EVENT_TYPE),
            occurred_at: (event.time_source == TimeSource::Provider)
                .then(|| format_rfc3339(event.occurred_at)),
            received_at: format_rfc3339(millis_to_nanos(received_at_ms)),
            outcome,
            state,
            error_code: event.error.as_ref().map(|e| truncate(&e.code, MAX_CODE)),
        }
    }

    /// A message of a type livehook does not track, for a stream it names.
    pub fn ignored(event_type: Option<&str>, received_at_ms: u64, state: Option<State>) -> Self {
        HistoryEntry {
            event_type: truncate(event_type.unwrap_or("(none)"), MAX_EVENT_TYPE),
            occurred_at: None,
            received_at: format_rfc3339(millis_to_nanos(received_at_ms)),
            outcome: HistoryOutcome::Ignored,
            state,
            error_code: None,
        }
    }
}

/// The key of a stream's `n`-th history entry (0-based): its slot in the ring.
pub fn ring_key(n: u64) -> String {
    format!("{HISTORY_PREFIX}{:02}", n % MAX_HISTORY as u64)
}

/// The keys of the newest `limit` (at most [`MAX_HISTORY`]) of `count` entries, newest first.
pub fn newest_keys(count: u64, limit: usize) -> Vec<String> {
    let limit = limit.min(MAX_HISTORY) as u64;
    (count.saturating_sub(limit)..count)
        .rev()
        .map(ring_key)
        .collect()
}

/// Entries stored under legacy keys (any order), moved into the ring: the keys and values to
/// write (the newest [`MAX_HISTORY`], oldest first, in slots 0, 1, …) and how many that is (the
/// history's new count). Every legacy key is then to be deleted.
pub fn from_legacy<V>(mut entries: Vec<(String, V)>) -> (Vec<(String, V)>, u64) {
    entries.retain(|(k, _)| k.starts_with(LEGACY_PREFIX));
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    let skip = entries.len().saturating_sub(MAX_HISTORY);
    let moved: Vec<(String, V)> = entries
        .into_iter()
        .skip(skip)
        .enumerate()
        .map(|(n, (_, v))| (ring_key(n as u64), v))
        .collect();
    let count = moved.len() as u64;
    (moved, count)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::event::errored_event_for_tests;

    #[test]
    fn entries_keep_what_the_board_shows_and_nothing_else() {
        let e = errored_event_for_tests("in1", "e1");
        let entry = HistoryEntry::of(
            &e,
            1_720_548_474_000,
            HistoryOutcome::Applied,
            Some(State::Errored),
        );
        assert_eq!(
            serde_json::to_string(&entry).unwrap(),
            r#"{"event_type":"live_input.errored","occurred_at":"2024-07-09T18:07:51.077371662Z","received_at":"2024-07-09T18:07:54Z","outcome":"applied","state":"errored","error_code":"ERR_GOP_OUT_OF_RANGE"}"#
        );
        let mut receipt = e.clone();
        receipt.time_source = TimeSource::Receipt;
        receipt.error = None;
        let entry = HistoryEntry::of(&receipt, 0, HistoryOutcome::Duplicate, None);
        assert_eq!((entry.occurred_at, entry.error_code), (None, None));
    }

    #[test]
    fn entries_are_bounded_whatever_the_payload() {
        let mut e = errored_event_for_tests("in1", "e1");
        e.event_type = "é".repeat(10_000);
        if let Some(err) = e.error.as_mut() {
            err.code = "x".repeat(10_000);
        }
        let entry = HistoryEntry::of(
            &e,
            u64::MAX / 2_000_000,
            HistoryOutcome::Stale,
            Some(State::Live),
        );
        let json = serde_json::to_string(&entry).unwrap();
        assert!(json.len() <= MAX_ENTRY_BYTES, "{} bytes", json.len());
        let ignored = HistoryEntry::ignored(Some(&"y".repeat(5_000)), 0, None);
        assert_eq!(ignored.event_type.chars().count(), MAX_EVENT_TYPE);
        assert_eq!(ignored.outcome, HistoryOutcome::Ignored);
    }

    #[test]
    fn the_ring_keeps_the_newest_hundred_and_knows_where_they_are() {
        assert_eq!(ring_key(0), "e:00");
        assert_eq!(ring_key(7), "e:07");
        assert_eq!(ring_key(99), "e:99");
        assert_eq!(ring_key(100), "e:00", "the 101st goes over the first");
        assert_eq!(ring_key(1_234), "e:34");
        // 150 entries written: slots hold entries 50..150, so exactly 100 keys exist.
        let written: std::collections::BTreeSet<String> = (0..150).map(ring_key).collect();
        assert_eq!(written.len(), MAX_HISTORY);
        let newest = newest_keys(150, 3);
        assert_eq!(newest, ["e:49", "e:48", "e:47"], "entry 149 first");
        assert_eq!(
            newest_keys(150, 500).len(),
            MAX_HISTORY,
            "never more than the ring"
        );
        assert_eq!(
            newest_keys(150, 100).last().map(String::as_str),
            Some("e:50")
        );
        assert_eq!(newest_keys(2, 50), ["e:01", "e:00"]);
        assert!(newest_keys(0, 50).is_empty());
    }

    #[test]
    fn legacy_entries_move_into_the_ring_newest_hundred_in_order() {
        // 120 legacy keys in any order (several in one millisecond), and a stranger.
        let mut legacy: Vec<(String, u32)> = (0..120u32)
            .map(|i| (format!("h:{:015}:{:06}", 5_000 + u64::from(i / 3), i), i))
            .collect();
        legacy.reverse();
        legacy.push(("state".into(), 9_999));
        let (moved, count) = from_legacy(legacy);
        assert_eq!(count, 100);
        assert_eq!(
            moved.first(),
            Some(&("e:00".to_owned(), 20)),
            "the oldest kept"
        );
        assert_eq!(moved.last(), Some(&("e:99".to_owned(), 119)), "the newest");
        assert!(
            moved.windows(2).all(|w| w[0].1 < w[1].1),
            "in the order received"
        );
        let (none, zero) = from_legacy::<u32>(Vec::new());
        assert!(none.is_empty() && zero == 0);
    }

    #[test]
    fn deferred_events_are_not_history() {
        assert_eq!(HistoryOutcome::of(Outcome::Deferred), None);
        assert_eq!(
            HistoryOutcome::of(Outcome::Duplicate),
            Some(HistoryOutcome::Duplicate)
        );
    }
}
