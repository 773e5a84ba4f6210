//! Keeping statuses true when a webhook is lost: asking the providers' APIs (issue #21). Every
//! provider loses a webhook now and then (Gcore never retries one), which leaves a stream on
//! air on the board forever; the providers' read-only APIs know the truth. [`apis`] builds the
//! requests to make and reads the answers into what each API says about each stream, as pure
//! functions: the shell performs the requests, and what is applied goes through the same
//! per-stream ordering as a webhook.

pub mod apis;
