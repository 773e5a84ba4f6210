//! A stream's recent history: the last [`MAX_HISTORY`] events its object received, whatever
//! became of them (applied, stale, duplicate or ignored), for `GET /streams/{provider}/{id}/events`
//! and the board. Each entry is bounded (its one provider-chosen string is cut), so a stream's
//! history stays under [`MAX_HISTORY`] × [`MAX_ENTRY_BYTES`] whatever payloads say.
//!
//! An entry holds no secret and no stream key: only the event's type, times, outcome, the state
//! after it and an error code. Entries are stored one per key ([`HistoryIndex`] names them), so
//! recording one is a small write, never a rewrite of the whole history.

use std::collections::VecDeque;

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
/// Storage-key prefix of history entries in a stream's object.
pub const HISTORY_PREFIX: &str = "h:";
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

/// The keys of a stream's history entries, oldest first: `h:{received ms, 15 digits}:{n}`,
/// so a reverse listing is newest first. Kept in the object's memory once listed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HistoryIndex {
    keys: VecDeque<String>,
    next: u64,
}

impl HistoryIndex {
    /// From the keys storage holds (any order).
    pub fn from_keys(mut keys: Vec<String>) -> Self {
        keys.retain(|k| k.starts_with(HISTORY_PREFIX));
        keys.sort();
        HistoryIndex {
            next: keys.len() as u64,
            keys: keys.into(),
        }
    }

    /// The key for a new entry received at `received_at_ms`.
    pub fn push(&mut self, received_at_ms: u64) -> String {
        // The counter keeps keys of one millisecond apart and in order; a key that would sort
        // before the newest (a clock step back) takes the newest one's time instead.
        let mut key = format!(
            "{HISTORY_PREFIX}{received_at_ms:015}:{:06}",
            self.next % 1_000_000
        );
        if let Some(last) = self.keys.back() {
            if key <= *last {
                key = format!("{last}+");
            }
        }
        self.next += 1;
        self.keys.push_back(key.clone());
        key
    }

    /// The oldest keys beyond the newest [`MAX_HISTORY`], to delete (once the new entries are
    /// written).
    pub fn trim(&mut self) -> Vec<String> {
        let excess = self.keys.len().saturating_sub(MAX_HISTORY);
        self.keys.drain(..excess).collect()
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
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
    fn the_index_keeps_the_newest_hundred_in_order() {
        let mut index = HistoryIndex::default();
        let mut keys = Vec::new();
        let mut deleted = Vec::new();
        for i in 0..150u64 {
            // Several events in one millisecond, and one clock step back.
            let ms = if i == 120 { 1_000 } else { 5_000 + i / 3 };
            keys.push(index.push(ms));
            deleted.extend(index.trim());
        }
        assert_eq!(index.len(), MAX_HISTORY);
        assert_eq!(deleted, keys[..50].to_vec(), "the oldest go first");
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(sorted, keys, "keys sort in the order events arrived");
        // Read back from storage (in any order), the index continues after the newest.
        let mut stored = keys[50..].to_vec();
        stored.reverse();
        let mut again = HistoryIndex::from_keys(stored);
        let next = again.push(5_000);
        assert!(next > keys[149], "{next} after {}", keys[149]);
        assert_eq!(again.trim(), vec![keys[50].clone()]);
        assert!(again.trim().is_empty());
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
