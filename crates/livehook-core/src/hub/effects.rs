//! What the hub does to the world besides its storage ([`crate::store::Store`]): the clock,
//! randomness, outgoing requests, the live feed, KV and the log. The Durable Object implements
//! [`Effects`] over the runtime; [`super::memory`] implements it in memory.

use serde_json::Value;

use crate::alerts::delivery::AttemptResult;
use crate::alerts::render::Outbound;
use crate::ingest::event::State;
use crate::store::StoreError;

/// Log levels of [`Effects::log`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Info,
    Error,
}

/// Everything else the hub does to the world.
#[allow(async_fn_in_trait)]
pub trait Effects {
    /// Milliseconds since the epoch.
    fn now_ms(&self) -> u64;
    /// Fills `buf` from a CSPRNG.
    fn random(&self, buf: &mut [u8]) -> Result<(), StoreError>;
    /// Sends a text message to every live-feed client; how many there are.
    fn broadcast(&self, message: &str) -> usize;
    /// One JSON log line: `{"msg": msg, ...fields}`.
    fn log(&self, level: Level, msg: &str, fields: Value);
    /// Tells the stream objects (through KV) which non-error states some subscriber wants.
    async fn publish_notify_states(&self, states: &[State]) -> Result<(), StoreError>;
    /// One delivery attempt under `timeout_ms`; never fails, it reports what happened.
    async fn send(&self, out: &Outbound, timeout_ms: u64) -> AttemptResult;
}
