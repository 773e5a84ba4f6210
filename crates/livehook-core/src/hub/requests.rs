//! The hub's requests: one [`HubRequest`] in, one typed answer out, and whether a delivery run
//! should start after answering.

use super::effects::Effects;
use super::state::Hub;
use crate::store::Store;
use serde::Serialize;

use crate::ingest::event::StatusRecord;
use crate::protocol::{HubReply, HubRequest, Reply, Watching};
use crate::text::write_json;

/// The live feed's message for a stream whose record changed.
#[derive(Serialize)]
struct LiveStream<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    version: u64,
    record: &'a StatusRecord,
}

/// An answer, and whether deliveries may now be due (the shell then starts a run after
/// answering, so the caller does not wait for it).
#[derive(Debug)]
pub struct Handled {
    pub reply: Reply<HubReply>,
    pub run_deliveries: bool,
}

impl<S: Store, E: Effects> Hub<S, E> {
    /// Answers one request.
    pub async fn handle(&self, req: HubRequest) -> Handled {
        let no_run = |reply| Handled {
            reply,
            run_deliveries: false,
        };
        match req {
            HubRequest::Accept(alert) => Handled {
                reply: self.accept(alert).await.map(HubReply::Accepted),
                run_deliveries: true,
            },
            HubRequest::ListAlerts(q) => no_run(self.list_alerts(q).await.map(HubReply::Alerts)),
            HubRequest::GetAlert(id) => no_run(
                self.get_alert(&id)
                    .await
                    .map(|rec| HubReply::Alert(Box::new(rec))),
            ),
            HubRequest::Retry(id) => {
                let reply = self.retry(&id).await;
                let run = reply.as_ref().is_ok_and(|r| !r.requeued.is_empty());
                Handled {
                    reply: reply.map(HubReply::Retried),
                    run_deliveries: run,
                }
            }
            HubRequest::CreateSubscriber(new) => {
                no_run(self.create_subscriber(new).await.map(HubReply::Created))
            }
            HubRequest::ListSubscribers => {
                no_run(self.list_subscribers().await.map(HubReply::Subscriptions))
            }
            HubRequest::GetSubscriber(id) => {
                no_run(self.get_subscriber(&id).await.map(HubReply::Subscriber))
            }
            HubRequest::StreamChanged(change) => {
                let viewers = self.fx.broadcast(&write_json(&LiveStream {
                    kind: "stream",
                    version: change.version,
                    record: &change.record,
                }));
                no_run(Ok(HubReply::Watching(Watching { viewers })))
            }
            HubRequest::DeleteSubscriber(id) => {
                no_run(self.delete_subscriber(&id).await.map(HubReply::Deleted))
            }
            HubRequest::RotateSubscriber(id) => {
                no_run(self.rotate_subscriber(&id).await.map(HubReply::Rotated))
            }
            HubRequest::RecordIncident(change) => Handled {
                reply: self
                    .record_incident(*change)
                    .await
                    .map(HubReply::IncidentRecorded),
                run_deliveries: true,
            },
            HubRequest::ListIncidents(q) => {
                no_run(self.list_incidents(q).await.map(HubReply::Incidents))
            }
            HubRequest::GetIncident(id) => no_run(
                self.get_incident(&id)
                    .await
                    .map(|d| HubReply::Incident(Box::new(d))),
            ),
            HubRequest::AcknowledgeIncident(id) => Handled {
                reply: self
                    .acknowledge(&id)
                    .await
                    .map(|d| HubReply::Incident(Box::new(d))),
                run_deliveries: true,
            },
            HubRequest::CloseIncident(id) => Handled {
                reply: self.close(&id).await.map(HubReply::Closed),
                run_deliveries: true,
            },
        }
    }
}
