//! A stream's object: one per stream (a Durable Object in the worker, named
//! `{provider}:{kind}:{id}`), the source of truth for that stream's ordering and
//! de-duplication. Here it runs over two traits (the shared [`crate::store::Store`] and its
//! own [`effects::Effects`]), so everything below runs under `cargo test` against memory; the
//! Durable Object is a thin shell that implements the traits and passes requests through.
//!
//! Invariants (tested in `stream/tests.rs`):
//! - The ledger is read from storage once per instance, in one read with the history's count;
//!   requests that arrive during that read wait for it and see the same ledger.
//! - An applied event costs one storage write (the ledger, the history's count and the event's
//!   entry: three keys) and, at most once a second, one KV write.
//! - A storage write that fails drops the in-memory state: a retry is applied again.
//! - An alert leaves the outbox only when the hub confirms it; until then the alarm retries.
//! - Stored formats ([`keys`]) are those every earlier build wrote and reads back.
//!
//! - [`apply`]: one event: decide, persist with its history entry, then the I/O.
//! - [`flush`]: the KV write, the alert hand-off and the alarm for what is pending.
//! - [`history_ring`]: the history in storage: recording, the legacy migration, reading.
//! - [`reads`]: the record and the diagnostics.
//! - [`reconcile`]: a provider's API's answer, decided and applied like a webhook.
//! - [`heartbeat`]: a media server's heartbeats, and the stop when they end.
//! - [`live_feed`]: an applied change to the hub's live feed, while someone may watch.
//! - [`isolate`]: what the objects of one isolate share: the wanted states and the live gate.
//! - [`requests`]: one typed request in, one typed answer out.
//! - [`state`]: what an instance holds: loading the ledger once, saving it.
//! - [`keys`]: the storage layout; [`effects`]: the effects trait.

pub mod apply;
pub mod effects;
pub mod flush;
pub mod heartbeat;
pub mod history_ring;
pub mod isolate;
pub mod keys;
pub mod live_feed;
#[cfg(test)]
pub mod memory;
pub mod reads;
pub mod reconcile;
pub mod requests;
pub mod state;

pub use isolate::Isolate;
pub use live_feed::LivePush;
pub use requests::Handled;
pub use state::StreamObject;

#[cfg(test)]
mod golden_tests;
#[cfg(test)]
mod tests;
