//! livehook's pure core: everything that decides, nothing that does I/O. Live-video webhooks
//! from every provider in [`ingest::providers::REGISTRY`] become one ordered stream status and
//! alerts that reach their subscribers. No `worker`, `wasm-bindgen` or `js-sys` dependency:
//! Cargo keeps this crate pure, and all of it runs under `cargo test` on the host.
//!
//! # Layout
//!
//! Rooms, lowest first; each may use only the rooms above it in this list.
//!
//! - [`text`], [`time`]: utilities (hex, truncation; RFC 3339 and HTTP dates). Use nothing.
//! - [`ids`]: `alr_`, `sub_`, `msg_` ids as types.
//! - [`ingest`]: a webhook becomes an event. The event model and the stored record
//!   (`event`), settings, authentication primitives, and `providers/`: one file per provider,
//!   each declaring one `Provider`, one line each in the registry.
//! - [`incidents`]: one per outage of one stream: what an incident is, and the lifecycle a
//!   stream's object runs (open, join, resolve after a stable wait).
//! - [`alerts`]: what an alert is, who wants it (subscribers, URL policy, signing secret,
//!   destination credentials), when to try again (schedule), one delivery's state machine, an
//!   alert record and an incident notice, and what a subscriber receives (rendering for
//!   webhook, Slack, Discord, Teams, Telegram, PagerDuty and incident.io).
//! - [`ordering`]: the per-stream state machine: newest event wins, duplicates change nothing,
//!   KV writes coalesced to one a second, the alert outbox.
//! - [`config`]: everything read from the environment, as types; `/healthz`.
//! - [`traffic`]: is anyone reaching us: per provider, the last accepted webhook and counts by
//!   outcome over the last hour and day (from Analytics Engine, or one isolate's own counts).
//! - [`live`]: whether a stream object pushes a change to the live feed (only while someone
//!   watches, asking again once a second).
//! - [`store`]: a Durable Object's storage as a trait (text and number values, the
//!   128-keys-per-call limit, the alarm), with an in-memory version for tests.
//! - [`protocol`]: the contract between the worker and its Durable Objects: binding names,
//!   shared keys, one type per request naming its reply, the replies and their limits.
//! - [`hub`]: the alert hub's logic over [`store`] and its effects trait: intake, dispatch,
//!   subscriptions.
//! - [`stream`]: a stream object's logic over [`store`] and its effects trait: the ledger
//!   loaded once, an event and its history written together, the KV coalescing alarm, the
//!   alert hand-off, the live-feed push, the legacy history migration. `hub` and `stream`
//!   never use each other: they talk through `protocol`.
//!
//! The worker crate (the shell) holds the routes, the two Durable Objects and the runtime glue;
//! it implements the `store`, `hub` and `stream` traits and speaks `protocol`.

pub mod alerts;
pub mod config;
pub mod history;
pub mod hub;
pub mod ids;
pub mod incidents;
pub mod ingest;
pub mod live;
pub mod ordering;
pub mod protocol;
pub mod reconcile;
pub mod store;
pub mod stream;
pub mod text;
pub mod time;
pub mod traffic;
