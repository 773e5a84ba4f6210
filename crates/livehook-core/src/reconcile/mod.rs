//! Keeping statuses true when a webhook is lost: asking the providers' APIs (issue #21).
//! [`sigv4`]: AWS Signature Version 4 for Amazon IVS.

pub mod sigv4;
