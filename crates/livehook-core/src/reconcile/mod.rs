//! Keeping statuses true when a webhook is lost: asking the providers' APIs (issue #21).
//!
//! - [`settings`]: which APIs are polled, with which credentials and base URLs.
//! - [`apis`]: what each provider's API is asked (documented, read-only, paginated to the
//!   end) and how its answers read, one file per provider.
//! - [`decide`]: what one poll means for one stream: confirm, correct (after the settle time),
//!   add, or wait; corrections are `reconcile` events through the stream's ordering.
//! - [`health`]: how each API has been answering, for `/healthz` (a failure's category and
//!   status, never a URL or a credential).
//! - [`outgoing`]: the HTTP request for one API request: base URL, path, each provider's
//!   authentication (bearer, Basic, `APIKey`, SigV4).
//! - [`pass`]: one pass over one API: its listing to the end within the budget, each answer
//!   to its stream, Cloudflare's per-input checks in order; failures change nothing.
//! - [`plan`]: each API's budget (half its documented rate limit, `Retry-After` honoured) and
//!   the order per-stream calls are made in.
//! - [`runner`]: every configured API, one pass each, their state kept between passes, and the
//!   health report; one run at a time.
//! - [`sigv4`]: AWS Signature Version 4, for Amazon IVS's API (no AWS SDK).

pub mod apis;
pub mod decide;
pub mod health;
pub mod outgoing;
pub mod pass;
pub mod plan;
pub mod runner;
pub mod settings;
pub mod sigv4;
