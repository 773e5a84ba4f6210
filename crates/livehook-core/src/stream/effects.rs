//! What a stream object does to the world besides its storage ([`crate::store::Store`]): the
//! clock, the log, Workers KV and calls to the alert hub. The Durable Object implements
//! [`Effects`] over the runtime; [`super::memory`] implements it in memory.

use std::fmt;

use crate::protocol::{Call, HubRequest, Reply};
use crate::store::StoreError;

/// Everything else a stream object does to the world.
#[allow(async_fn_in_trait)]
pub trait Effects {
    /// Milliseconds since the epoch.
    fn now_ms(&self) -> u64;
    /// One error line, `{"msg": msg, "error": "…"}` (the texts hold no secret and no stream key).
    fn failed(&self, msg: &str, error: &dyn fmt::Display);
    /// The text at `key` in the status KV namespace, if any.
    async fn kv_get(&self, key: &str) -> Result<Option<String>, StoreError>;
    /// Writes a status record's JSON at `key` in the status KV namespace, with its `state` and
    /// `kind` as metadata.
    async fn kv_put_record(
        &self,
        key: &str,
        record: &str,
        state: &str,
        kind: &str,
    ) -> Result<(), StoreError>;
    /// One typed call to the alert hub, given up after `timeout_ms` (then `Unavailable`).
    async fn call_hub<C: Call<Wire = HubRequest>>(
        &self,
        request: C,
        timeout_ms: u64,
    ) -> Reply<C::Reply>;
}
