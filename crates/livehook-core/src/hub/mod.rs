//! The alert hub's logic: one instance (a Durable Object in the worker) keeps alerts,
//! subscribers and deliveries, and fans alerts out. Here it runs over two traits (the shared
//! [`crate::store::Store`] and its own [`effects::Effects`]), so everything below runs under
//! `cargo test` against memory ([`crate::store::memory`], [`memory`]); the Durable Object is a
//! thin shell that implements the traits and passes requests through.
//!
//! - [`intake`]: accepting an alert with one pending delivery per matching subscriber, in one
//!   storage write, before answering; folding repeats into an open incident; pruning; listing.
//! - [`incidents`]: incident changes recorded once and in order, the open-incident index,
//!   acknowledge and resolve by hand, listing; [`notices`]: who is told, and storms.
//! - [`dispatch`]: delivery runs (leased attempts, concurrently, each under its own timeout),
//!   recording results, retries by alarm, dead letters, manual retry.
//! - [`subscriptions`]: subscriber CRUD, configured subscribers, disabled flags, and publishing
//!   the states subscribers want.
//! - [`requests`]: one typed request in, one typed answer out.
//! - [`state`]: what an instance holds, and the helpers every job uses.
//! - [`keys`]: the storage layout; [`store`]: helpers over the storage trait (JSON values,
//!   record batches); [`effects`]: the effects trait.

pub mod dispatch;
pub mod effects;
pub mod incidents;
pub mod intake;
pub mod keys;
#[cfg(test)]
pub mod memory;
pub mod notices;
pub mod requests;
pub mod state;
pub mod store;
pub mod subscriptions;

pub use requests::Handled;
pub use state::Hub;

#[cfg(test)]
mod incident_tests;
#[cfg(test)]
mod tests;
