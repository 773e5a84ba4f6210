//! Keeping statuses true when a webhook is lost: asking the providers' APIs (issue #21).
//!
//! - [`settings`]: which APIs are polled, with which credentials and base URLs.
//! - [`plan`]: each API's budget (half its documented rate limit, `Retry-After` honoured) and
//!   the order per-stream calls are made in.

pub mod plan;
pub mod settings;
