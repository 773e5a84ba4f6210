//! A stream object's requests: one [`StreamRequest`] in, one typed answer out, and the
//! live-feed push to make after answering, if any.

use super::effects::Effects;
use super::live_feed::LivePush;
use super::state::StreamObject;
use crate::protocol::{Reply, StreamReply, StreamRequest};
use crate::store::Store;

/// An answer, and a change for the live feed (the shell sends it after answering, so the
/// caller does not wait for it).
#[derive(Debug)]
pub struct Handled {
    pub reply: Reply<StreamReply>,
    pub push: Option<LivePush>,
}

impl<S: Store, E: Effects> StreamObject<S, E> {
    /// Answers one request.
    pub async fn handle(&self, req: StreamRequest) -> Handled {
        let answer = |reply| Handled { reply, push: None };
        match req {
            StreamRequest::Ingest(ingest) => {
                let (reply, push) = self.ingest(*ingest).await;
                Handled {
                    reply: reply.map(StreamReply::Ingested),
                    push,
                }
            }
            StreamRequest::Inspect => answer(
                self.inspect()
                    .await
                    .map(|d| StreamReply::Inspected(Box::new(d))),
            ),
            StreamRequest::Get => answer(
                self.record()
                    .await
                    .map(|r| StreamReply::Record(Box::new(r))),
            ),
            StreamRequest::History(q) => {
                answer(self.read_history(q.limit).await.map(StreamReply::History))
            }
            StreamRequest::Ignored(note) => {
                answer(self.note_ignored(note).await.map(StreamReply::Noted))
            }
            StreamRequest::Reconcile(poll) => {
                let (reply, push) = self.reconcile(*poll).await;
                Handled {
                    reply: reply.map(StreamReply::Reconciled),
                    push,
                }
            }
            StreamRequest::Heartbeat(beat) => {
                let (reply, push) = self.heartbeat(*beat).await;
                Handled {
                    reply: reply.map(StreamReply::Ingested),
                    push,
                }
            }
            StreamRequest::ResolveIncident(id) => answer(
                self.resolve_incident(&id)
                    .await
                    .map(StreamReply::IncidentResolved),
            ),
        }
    }
}
