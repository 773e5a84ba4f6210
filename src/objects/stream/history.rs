//! A stream object's history: one storage key per received event (`h:…`, named by
//! [`HistoryIndex`]), at most `MAX_HISTORY` of them, newest first when read. Recording an entry is
//! part of the ledger's write when the ledger changes; on its own (a duplicate, an ignored
//! message) it is a small write that may fail without failing the webhook.

use livehook_core::history::{HistoryEntry, HistoryIndex, HISTORY_PREFIX, MAX_HISTORY};
use livehook_core::protocol::{HistoryPage, IgnoredNote, Noted, ObjectError, Reply, StreamReply};
use livehook_core::text::{read_json, write_json};
use serde_json::json;
use worker::wasm_bindgen::JsValue;

use super::{js_unavailable, StreamStatus};
use crate::platform::{log, storage};

impl StreamStatus {
    /// The key and text of a new entry received at `received_at_ms` (the index is read from
    /// storage on first use); `None` if storage could not be listed.
    pub(super) async fn history_write(
        &self,
        entry: HistoryEntry,
        received_at_ms: u64,
    ) -> Option<(String, String)> {
        if self.history.borrow().is_none() {
            let listed = storage::list(&self.state.storage(), HISTORY_PREFIX, false, None).await;
            let keys = match listed {
                Ok(pairs) => pairs.into_iter().map(|(k, _)| k).collect(),
                Err(e) => {
                    log::error(
                        "history unreadable",
                        json!({ "error": worker::Error::from(e).to_string() }),
                    );
                    return None;
                }
            };
            let mut history = self.history.borrow_mut();
            if history.is_none() {
                *history = Some(HistoryIndex::from_keys(keys));
            }
        }
        let mut history = self.history.borrow_mut();
        let index = history.as_mut()?;
        let key = index.push(received_at_ms);
        Some((key, write_json(&entry)))
    }

    /// Deletes the entries beyond the newest `MAX_HISTORY` (best effort: a failure leaves a few
    /// more, removed next time).
    pub(super) async fn prune_history(&self) {
        let doomed = match self.history.borrow_mut().as_mut() {
            Some(index) => index.trim(),
            None => return,
        };
        if let Err(e) = storage::delete_all(&self.state.storage(), &doomed).await {
            log::error(
                "history not pruned",
                json!({ "error": worker::Error::from(e).to_string() }),
            );
        }
    }

    /// Records an entry on its own (nothing else changed).
    pub(super) async fn record_history(&self, entry: HistoryEntry, received_at_ms: u64) {
        let Some((key, text)) = self.history_write(entry, received_at_ms).await else {
            return;
        };
        let written = storage::put_all(
            &self.state.storage(),
            &[(key.as_str(), JsValue::from_str(&text))],
        )
        .await;
        match written {
            Ok(()) => self.prune_history().await,
            Err(e) => {
                *self.history.borrow_mut() = None;
                log::error(
                    "history not written",
                    json!({ "error": worker::Error::from(e).to_string() }),
                );
            }
        }
    }

    /// A message for this stream of a type livehook does not track.
    pub(super) async fn note_ignored(&self, note: IgnoredNote) -> Reply<StreamReply> {
        let state = self
            .with_ledger(|l| l.record.as_ref().map(|r| r.state))
            .await?;
        let entry = HistoryEntry::ignored(note.event_type.as_deref(), note.received_at_ms, state);
        self.record_history(entry, note.received_at_ms).await;
        Ok(StreamReply::Noted(Noted { ok: true }))
    }

    /// The newest `limit` entries (at most `MAX_HISTORY`).
    pub(super) async fn read_history(&self, limit: usize) -> Reply<StreamReply> {
        let limit = limit.clamp(1, MAX_HISTORY);
        let pairs = storage::list(&self.state.storage(), HISTORY_PREFIX, true, Some(limit))
            .await
            .map_err(js_unavailable("read history"))?;
        let events: Vec<HistoryEntry> = pairs
            .into_iter()
            .filter_map(|(_, v)| read_json(&v.as_string()?).ok())
            .collect();
        if events.is_empty() && self.with_ledger(|l| l.record.is_none()).await? {
            return Err(ObjectError::NoSuchStream);
        }
        Ok(StreamReply::History(HistoryPage { events }))
    }
}
