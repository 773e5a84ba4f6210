//! Reading the object: the stream's record (`GET /streams/{provider}/{id}`: what the last
//! applied event left, strongly consistent) and its diagnostics (`…/diagnostics`: the ledger,
//! whether KV has caught up, the alerts waiting for the hub, the history's size).

use super::effects::Effects;
use super::state::StreamObject;
use crate::ingest::event::StatusRecord;
use crate::protocol::{ObjectError, Reply, StreamDiagnostics};
use crate::store::Store;

impl<S: Store, E: Effects> StreamObject<S, E> {
    /// The record; a stream that never received an event has none.
    pub async fn record(&self) -> Reply<StatusRecord> {
        self.with_ledger(|l| l.record.clone())
            .await?
            .ok_or(ObjectError::NoSuchStream)
    }

    pub async fn inspect(&self) -> Reply<StreamDiagnostics> {
        let ledger = self.with_ledger(|l| l.clone()).await?;
        let Some(record) = &ledger.record else {
            return Err(ObjectError::NoSuchStream);
        };
        let stream = record.key().to_string();
        let history_entries = self.ring().await?.len();
        Ok(StreamDiagnostics {
            stream,
            kv_in_sync: !ledger.kv_dirty(),
            alerts_waiting: ledger.outbox.len(),
            history_entries,
            state: ledger.into(),
        })
    }
}
