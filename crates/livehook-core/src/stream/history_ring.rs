//! A stream object's history in its storage: at most `MAX_HISTORY` entries in a ring of keys
//! ([`crate::history::ring_key`]), newest first when read. The object keeps the count of
//! entries (read with the ledger), so a new entry's key is known without listing storage; it
//! is written with the count, in the ledger's own write when the ledger changes. An entry on
//! its own (a duplicate, an ignored message) may fail without failing the webhook.
//!
//! An object written before the ring has `h:…` keys: the first entry it records after loading
//! moves the newest 100 of them into the ring (in the same write), then deletes them (in calls
//! of at most 128 keys). Until then its history is read from those keys as they are.

use super::effects::Effects;
use super::keys;
use super::state::StreamObject;
use crate::history::{from_legacy, newest_keys, ring_key, HistoryEntry, MAX_HISTORY};
use crate::protocol::{HistoryPage, IgnoredNote, Noted, ObjectError, Reply};
use crate::store::{delete_chunked, ListQuery, Store, Stored};
use crate::text::{read_json, write_json};

/// What recording one entry writes: the entries (key, JSON), with the count and the ledger;
/// and the legacy keys to delete once that write is done.
#[derive(Debug, Default)]
pub(super) struct HistoryWrite {
    pub entries: Vec<(String, String)>,
    pub legacy: Vec<String>,
}

fn read_failed(what: &'static str) -> impl Fn(crate::store::StoreError) -> ObjectError {
    move |e| ObjectError::Unavailable(format!("{what}: {e}"))
}

impl<S: Store, E: Effects> StreamObject<S, E> {
    /// Counts `entry` in the history and gives what to write (the ledger, which is loaded with
    /// the count, must be loaded).
    pub(super) async fn history_write(&self, entry: HistoryEntry) -> Reply<HistoryWrite> {
        let mut entries = Vec::new();
        let mut legacy = Vec::new();
        if self.legacy_history.get() {
            let listed = self
                .store
                .list(ListQuery::prefix(keys::LEGACY_PREFIX))
                .await
                .map_err(read_failed("list legacy history"))?;
            legacy = listed.iter().map(|(k, _)| k.clone()).collect();
            let texts = listed
                .into_iter()
                .filter_map(|(k, v)| match v {
                    Stored::Text(t) => Some((k, t)),
                    Stored::Number(_) => None,
                })
                .collect();
            let (moved, count) = from_legacy(texts);
            entries = moved;
            self.history.set(count);
            self.legacy_history.set(false);
        }
        let n = self.history.get();
        self.history.set(n + 1);
        entries.push((ring_key(n), write_json(&entry)));
        Ok(HistoryWrite { entries, legacy })
    }

    /// After a write that moved legacy entries into the ring: their old keys go (best effort:
    /// left over, they are never read).
    pub(super) async fn forget_legacy(&self, keys: Vec<String>) {
        if keys.is_empty() {
            return;
        }
        if let Err(e) = delete_chunked(&self.store, keys).await {
            self.fx.failed("legacy history not deleted", &e);
        }
    }

    /// Records an entry on its own (nothing else changed): with the count, not the ledger.
    pub(super) async fn record_history(&self, entry: HistoryEntry) {
        let written = match self.history_write(entry).await {
            Ok(w) => w,
            Err(e) => return self.fx.failed("history not written", &e),
        };
        match self.save_with(written.entries, false).await {
            Ok(()) => self.forget_legacy(written.legacy).await,
            Err(e) => self.fx.failed("history not written", &e),
        }
    }

    /// A message for this stream of a type livehook does not track.
    pub async fn note_ignored(&self, note: IgnoredNote) -> Reply<Noted> {
        let state = self
            .with_ledger(|l| l.record.as_ref().map(|r| r.state))
            .await?;
        let entry = HistoryEntry::ignored(note.event_type.as_deref(), note.received_at_ms, state);
        self.record_history(entry).await;
        Ok(Noted { ok: true })
    }

    /// The newest `limit` entries (at most `MAX_HISTORY`).
    pub async fn read_history(&self, limit: usize) -> Reply<HistoryPage> {
        let limit = limit.clamp(1, MAX_HISTORY);
        let known = self.with_ledger(|l| l.record.is_some()).await?;
        let count = self.history.get();
        if count == 0 && !known {
            return Err(ObjectError::NoSuchStream);
        }
        let parse = |v: &Stored| read_json::<HistoryEntry>(v.as_text()?).ok();
        let events = if self.legacy_history.get() {
            // Not moved into the ring yet (that happens with its next entry): read as written.
            let query = ListQuery {
                prefix: keys::LEGACY_PREFIX,
                reverse: true,
                limit: Some(limit),
                before: None,
            };
            self.store
                .list(query)
                .await
                .map_err(read_failed("read history"))?
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
        Ok(HistoryPage { events })
    }

    /// Every stored entry of the ring (key, value).
    pub(super) async fn ring(&self) -> Reply<Vec<(String, Stored)>> {
        self.store
            .list(ListQuery::prefix(keys::HISTORY_PREFIX))
            .await
            .map_err(read_failed("read history"))
    }
}
