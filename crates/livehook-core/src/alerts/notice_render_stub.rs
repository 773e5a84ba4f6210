//! TEMPORARY until the formats branch lands: minimal stand-ins with the final signatures.

use super::notice::NoticeRecord;
use super::render::Outbound;
use super::subscriber::{Filter, Format, Subscriber};
use crate::ids::MessageId;
use crate::incidents::{Cause, Incident};

impl Format {
    pub fn is_chat(self) -> bool {
        matches!(self, Format::Slack | Format::Discord)
    }
    pub fn is_paging(self) -> bool {
        false
    }
}

impl Filter {
    pub fn matches_incident(&self, i: &Incident) -> bool {
        i.cause == Cause::Errored
            && (self.providers.is_empty() || self.providers.contains(&i.provider))
    }
}

pub fn notice_outbound(
    rec: &NoticeRecord,
    sub: &Subscriber,
    _webhook_id: &MessageId,
    _now_secs: u64,
    _public_url: Option<&str>,
) -> Option<Outbound> {
    Some(Outbound {
        url: sub.url.clone(),
        headers: vec![("content-type", "application/json".to_owned())],
        body: serde_json::to_string(&rec.subject).ok()?,
    })
}
