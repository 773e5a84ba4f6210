//! A stream object's history: at most `MAX_HISTORY` entries in a ring of storage keys
//! (`livehook_core::history::ring_key`), newest first when read. The object keeps the count of
//! entries (read with the ledger), so a new entry's key is known without listing storage; it is
//! written with the count, in the ledger's own put when the ledger changes. An entry on its own
//! (a duplicate, an ignored message) may fail without failing the webhook.
//!
//! An object written before the ring has `h:…` keys: the first entry it records after loading
//! moves the newest 100 of them into the ring (in the same put), then deletes them.

use livehook_core::history::{
    from_legacy, newest_keys, ring_key, HistoryEntry, LEGACY_PREFIX, MAX_HISTORY,
};
use livehook_core::protocol::{HistoryPage, IgnoredNote, Noted, ObjectError, Reply, StreamReply};
use livehook_core::text::{read_json, write_json};
use wasm_bindgen::JsValue;

use super::StreamStatus;
use crate::platform::{log, rpc, storage};

/// What recording one entry writes with the ledger: the entries (key, JSON), and the legacy
/// keys to delete once that write is done.
#[derive(Default)]
pub(super) struct HistoryWrite {
    pub entries: Vec<(String, String)>,
    pub legacy: Vec<String>,
}

impl StreamStatus {
    /// Counts `entry` in the history and gives what to write (the ledger, which is loaded with
    /// the count, must be loaded).
    pub(super) async fn history_write(&self, entry: HistoryEntry) -> Reply<HistoryWrite> {
        let mut moved = Vec::new();
        let mut legacy = Vec::new();
        if self.legacy_history.get() {
            let listed = storage::list(&self.state.storage(), LEGACY_PREFIX, false, None)
                .await
                .map_err(rpc::unavailable("list legacy history"))?;
            legacy = listed.iter().map(|(k, _)| k.clone()).collect();
            let texts = listed
                .into_iter()
                .filter_map(|(k, v)| Some((k, v.as_string()?)))
                .collect();
            let (entries, count) = from_legacy(texts);
            moved = entries;
            self.history.set(count);
            self.legacy_history.set(false);
        }
        let n = self.history.get();
        self.history.set(n + 1);
        moved.push((ring_key(n), write_json(&entry)));
        Ok(HistoryWrite {
            entries: moved,
            legacy,
        })
    }

    /// After a write that moved legacy entries into the ring: their old keys go (best effort:
    /// left over, they are never read).
    pub(super) async fn forget_legacy(&self, keys: Vec<String>) {
        for chunk in keys.chunks(128) {
            if let Err(e) = storage::delete_all(&self.state.storage(), chunk).await {
                log::failed("legacy history not deleted", &e);
                return;
            }
        }
    }

    /// Records an entry on its own (nothing else changed): with the ledger, which counts it.
    pub(super) async fn record_history(&self, entry: HistoryEntry) {
        let written = match self.history_write(entry).await {
            Ok(w) => w,
            Err(e) => {
                log::failed("history not written", &e);
                return;
            }
        };
        match self.save_with(&written, false).await {
            Ok(()) => self.forget_legacy(written.legacy).await,
            Err(e) => log::failed("history not written", &e),
        }
    }

    /// A message for this stream of a type livehook does not track.
    pub(super) async fn note_ignored(&self, note: IgnoredNote) -> Reply<StreamReply> {
        let state = self
            .with_ledger(|l| l.record.as_ref().map(|r| r.state))
            .await?;
        let entry = HistoryEntry::ignored(note.event_type.as_deref(), note.received_at_ms, state);
        self.record_history(entry).await;
        Ok(StreamReply::Noted(Noted { ok: true }))
    }

    /// The newest `limit` entries (at most `MAX_HISTORY`).
    pub(super) async fn read_history(&self, limit: usize) -> Reply<StreamReply> {
        let limit = limit.clamp(1, MAX_HISTORY);
        let known = self.with_ledger(|l| l.record.is_some()).await?;
        let count = self.history.get();
        if count == 0 && !known {
            return Err(ObjectError::NoSuchStream);
        }
        let parse = |v: &JsValue| read_json(&v.as_string()?).ok();
        let events = if self.legacy_history.get() {
            // Not moved into the ring yet (that happens with its next entry): read as written.
            storage::list(&self.state.storage(), LEGACY_PREFIX, true, Some(limit))
                .await
                .map_err(rpc::unavailable("read history"))?
                .iter()
                .filter_map(|(_, v)| parse(v))
                .collect()
        } else {
            let stored = self.ring().await?;
            newest_keys(count, limit)
                .iter()
                .filter_map(|k| stored.iter().find(|(key, _)| key == k))
                .filter_map(|(_, v)| parse(v))
                .collect()
        };
        Ok(StreamReply::History(HistoryPage { events }))
    }

    /// Every stored entry of the ring (key, value).
    pub(super) async fn ring(&self) -> Reply<Vec<(String, JsValue)>> {
        storage::list(
            &self.state.storage(),
            livehook_core::history::HISTORY_PREFIX,
            false,
            None,
        )
        .await
        .map_err(rpc::unavailable("read history"))
    }
}
