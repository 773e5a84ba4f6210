//! A stream object's storage layout: every key it writes. Values are JSON text, and the count
//! is decimal text (never a number), as every build so far has written them.
//!
//! | key                              | value                                               |
//! |----------------------------------|-----------------------------------------------------|
//! | `state`                          | the [`crate::ordering::StreamLedger`]                |
//! | `history`                        | how many history entries the stream ever received   |
//! | `e:00` … `e:99`                  | a [`crate::history::HistoryEntry`]: the ring         |
//! | `h:{received ms, 15 digits}:{n}` | an entry written before the ring (moved, then gone) |
//!
//! KV (`STREAM_STATUS`): `status:{provider}:{kind}:{id}` holds the record's JSON, with
//! metadata `{"state": …, "kind": …}` for `GET /streams` to filter a page by.

pub use crate::history::{HISTORY_COUNT_KEY as COUNT, HISTORY_PREFIX, LEGACY_PREFIX};

/// The ledger's key.
pub const LEDGER: &str = "state";
