//! A stream object's effects in memory, for host tests: a [`MemoryWorld`] with a settable
//! clock, a KV namespace (values and metadata, switches that make reads or writes fail), a
//! scripted alert hub whose answers go through the real wire form, and the log. Its storage is
//! [`crate::store::memory::MemoryStore`].

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::fmt;

use super::effects::Effects;
use crate::protocol::{read_reply, Call, HubReply, HubRequest, ObjectError, Reply, Watching};
use crate::store::StoreError;
use crate::text::write_json;

/// How the scripted hub answers one request (test-only: its size does not matter).
#[allow(clippy::large_enum_variant)]
pub enum HubAnswer {
    Reply(Reply<HubReply>),
    /// No answer within the timeout.
    Silent,
}

pub type HubScript = Box<dyn Fn(&HubRequest) -> HubAnswer>;

/// One KV value: its text and its metadata (`state`, `kind`), if written with a record's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KvValue {
    pub text: String,
    pub metadata: Option<(String, String)>,
}

/// The world around a stream object, in memory.
pub struct MemoryWorld {
    pub now_ms: Cell<u64>,
    pub kv: RefCell<BTreeMap<String, KvValue>>,
    pub kv_reads: Cell<usize>,
    pub kv_writes: Cell<usize>,
    pub kv_reads_fail: Cell<bool>,
    pub kv_writes_fail: Cell<bool>,
    /// Answers each hub call (default: accepts every alert, one viewer watches).
    pub hub: RefCell<HubScript>,
    /// Every hub call: the request's JSON and the timeout it was given.
    pub hub_calls: RefCell<Vec<(String, u64)>>,
    /// Every error line: (msg, error).
    pub logs: RefCell<Vec<(String, String)>>,
}

impl MemoryWorld {
    pub fn new(now_ms: u64) -> Self {
        MemoryWorld {
            now_ms: Cell::new(now_ms),
            kv: RefCell::new(BTreeMap::new()),
            kv_reads: Cell::new(0),
            kv_writes: Cell::new(0),
            kv_reads_fail: Cell::new(false),
            kv_writes_fail: Cell::new(false),
            hub: RefCell::new(Box::new(accept_all(1))),
            hub_calls: RefCell::new(Vec::new()),
            logs: RefCell::new(Vec::new()),
        }
    }

    pub fn advance(&self, ms: u64) {
        self.now_ms.set(self.now_ms.get() + ms);
    }

    /// The hub answers every request with `answer`.
    pub fn hub_answers(&self, answer: impl Fn(&HubRequest) -> HubAnswer + 'static) {
        *self.hub.borrow_mut() = Box::new(answer);
    }

    /// Whether an error line with this `msg` was logged.
    pub fn logged(&self, msg: &str) -> bool {
        self.logs.borrow().iter().any(|(m, _)| m == msg)
    }

    /// The hub calls made whose JSON starts with `prefix` (e.g. `{"accept"`).
    pub fn hub_calls_of(&self, prefix: &str) -> usize {
        self.hub_calls
            .borrow()
            .iter()
            .filter(|(json, _)| json.starts_with(prefix))
            .count()
    }
}

/// A hub that stores every alert it is handed and tells `viewers` watch the live feed.
pub fn accept_all(viewers: usize) -> impl Fn(&HubRequest) -> HubAnswer {
    move |req| {
        HubAnswer::Reply(Ok(match req {
            HubRequest::Accept(alert) => HubReply::Accepted(crate::protocol::Accepted {
                id: alert.id.clone(),
                stored: true,
                deliveries: Some(1),
                repeat_of: None,
            }),
            HubRequest::RecordIncident(change) => {
                HubReply::IncidentRecorded(crate::protocol::IncidentRecorded {
                    id: change.incident.id.clone(),
                    seq: change.seq,
                    closed: false,
                })
            }
            _ => HubReply::Watching(Watching { viewers }),
        }))
    }
}

impl Effects for MemoryWorld {
    fn now_ms(&self) -> u64 {
        self.now_ms.get()
    }

    fn failed(&self, msg: &str, error: &dyn fmt::Display) {
        self.logs
            .borrow_mut()
            .push((msg.to_owned(), error.to_string()));
    }

    async fn kv_get(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.kv_reads.set(self.kv_reads.get() + 1);
        if self.kv_reads_fail.get() {
            return Err(StoreError("kv unavailable (test)".into()));
        }
        Ok(self.kv.borrow().get(key).map(|v| v.text.clone()))
    }

    async fn kv_put_record(
        &self,
        key: &str,
        record: &str,
        state: &str,
        kind: &str,
    ) -> Result<(), StoreError> {
        self.kv_writes.set(self.kv_writes.get() + 1);
        if self.kv_writes_fail.get() {
            return Err(StoreError("kv unavailable (test)".into()));
        }
        let value = KvValue {
            text: record.to_owned(),
            metadata: Some((state.to_owned(), kind.to_owned())),
        };
        self.kv.borrow_mut().insert(key.to_owned(), value);
        Ok(())
    }

    /// Through the wire form both ways: the request as the hub would read it, the answer as
    /// the shell's `rpc::call` reads it.
    async fn call_hub<C: Call<Wire = HubRequest>>(
        &self,
        request: C,
        timeout_ms: u64,
    ) -> Reply<C::Reply> {
        let json = write_json(&request.wire());
        self.hub_calls.borrow_mut().push((json.clone(), timeout_ms));
        let wire: HubRequest = crate::text::read_json(&json)
            .map_err(|e| ObjectError::Unavailable(format!("bad hub request: {e}")))?;
        let answer = (self.hub.borrow())(&wire);
        match answer {
            HubAnswer::Reply(reply) => read_reply(&write_json(&reply)),
            HubAnswer::Silent => Err(ObjectError::Unavailable("alert hub timed out".into())),
        }
    }
}
