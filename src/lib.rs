//! livehook: live-video webhooks from Cloudflare Stream Live, FastPix and Gcore, normalized into
//! one ordered stream status in Workers KV, with errored-input alerts kept by a Durable Object.
//!
//! Pure core (no `worker::` import, tested on the host): [`model`], [`time`], [`providers`],
//! [`auth`], [`status`], [`alerts`], [`delivery`], [`subscribers`], [`notify`], [`errors`].
//! Shell (routes and Durable Objects, tested through miniflare): [`routes`], [`config`],
//! [`stream_status`], [`alert_hub`], [`runtime`].

pub mod alerts;
pub mod auth;
pub mod delivery;
pub mod errors;
pub mod model;
pub mod notify;
pub mod providers;
pub mod status;
pub mod subscribers;
pub mod time;

pub mod alert_hub;
pub mod config;
pub mod routes;
pub mod runtime;
pub mod stream_status;
