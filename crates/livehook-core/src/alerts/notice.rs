//! An incident notification as the hub keeps it ([`NoticeRecord`]): what it tells (an
//! incident opened, acknowledged or resolved, or a storm's summary or grouped page), and one
//! delivery per subscriber told. Deliveries follow the same state machine, schedule, leases
//! and dead letters as an alert's ([`super::delivery`]).
//!
//! Invariants: the notice holds a copy of what it tells, taken when it was made, so every
//! attempt of a delivery sends the same bytes; it holds no credential.

use serde::{Deserialize, Serialize};

use super::delivery::{Deliveries, Delivery};
use crate::ids::IncidentId;
use crate::incidents::{ChangeKind, Incident};
use crate::ingest::event::{Kind, ProviderId};

/// How many of one storm's incidents had one cause or code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeCount {
    /// The error or warning code, or `offline`.
    pub code: String,
    pub count: u32,
}

/// Which storm message this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StormMessage {
    /// To chat formats, once per window: the incidents opened beyond the threshold.
    Summary,
    /// To paging formats: one alert for all of a storm's incidents beyond the threshold,
    /// triggered once and resolved when the last of them resolves.
    Group,
}

/// Many incidents of one provider at once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Storm {
    /// The grouped page's dedup key (`inc_storm_…`).
    pub id: IncidentId,
    pub message: StormMessage,
    pub provider: ProviderId,
    /// The kind most of its incidents are of (for the message's wording).
    pub kind: Kind,
    /// When the storm began (RFC 3339).
    pub started_at: String,
    /// The incidents this message covers (a summary: those of its window).
    pub count: u32,
    /// By code, most frequent first.
    pub codes: Vec<CodeCount>,
}

/// What a notice tells.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Subject {
    Incident(Box<Incident>),
    Storm(Storm),
}

/// One notification of an incident (or a storm) and its deliveries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoticeRecord {
    /// `opened`, `acknowledged` or `resolved`.
    pub event: ChangeKind,
    pub subject: Subject,
    /// When it was made (ms): the `timestamp` of a webhook.
    pub created_ms: u64,
    #[serde(default)]
    pub deliveries: Vec<Delivery>,
}

impl NoticeRecord {
    /// The incident or storm id it is about.
    pub fn subject_id(&self) -> &IncidentId {
        match &self.subject {
            Subject::Incident(i) => &i.id,
            Subject::Storm(s) => &s.id,
        }
    }
}

impl Deliveries for NoticeRecord {
    fn deliveries(&self) -> &[Delivery] {
        &self.deliveries
    }
    fn deliveries_mut(&mut self) -> &mut Vec<Delivery> {
        &mut self.deliveries
    }
}
