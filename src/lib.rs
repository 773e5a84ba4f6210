//! livehook's worker: the thin shell around `livehook_core`. It receives webhooks, keeps each
//! stream's status in its Durable Object and in Workers KV, and runs the alert hub. Everything
//! that decides lives in the core; this crate does the I/O, and is tested through miniflare on
//! the built Wasm.
//!
//! # Layout
//!
//! Rooms, and what each may touch:
//!
//! - [`http`]: the `fetch` entry point, one route table (`routes`), one handler file per
//!   resource (`webhooks`, `streams`, `alerts`, `subscriptions`), reading requests and writing
//!   responses, and the one error type mapped to HTTP (`error`). Uses the core, `platform`, and
//!   reaches the objects only through `platform::rpc`.
//! - [`objects`]: the Durable Objects, thin shells over the core. `stream` (`StreamStatus`, one
//!   per stream) over `livehook_core::stream`; `hub` (`AlertHub`, one) over
//!   `livehook_core::hub`; `reconciler` (`Reconciler`, one) over
//!   `livehook_core::reconcile::runner`; each split into the object and its effects (the hub
//!   also has its live feed), over one `store` (the core's storage trait on Durable Object
//!   storage). Use the core and `platform`, never `http`.
//! - [`scheduled`]: the Cron Trigger's entry: a reconcile pass. Uses the core and `platform`.
//! - [`platform`]: the runtime glue: the clock, deadlines and alarms (`clock`), the one JSON
//!   logger (`log`), the environment read once per isolate (`env`), typed calls to the objects
//!   (`rpc`), outgoing requests (`request`), KV over workers-rs (`kv`), what a trap does
//!   (`trap`), and
//!   the one module of extern bindings for what workers-rs does not offer (`bindings`). Uses the
//!   core only.
//!
//! `src/entry.js` is the JavaScript module `wrangler.toml` names: it hands every call to the
//! exports here, and after a trap answers every pending call and starts a fresh instance
//! (`platform::trap`).
//!
//! `livehook_core` (crates/livehook-core) holds everything pure: providers, auth, ordering,
//! alerts, the objects' logic (`hub`, `stream`, `reconcile`), and `protocol`, the typed contract between
//! `http` and `objects`. Its `# Layout` names its rooms.

pub mod http;
pub mod objects;
pub mod platform;
pub mod scheduled;
