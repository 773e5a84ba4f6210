//! The alert hub's logic: one instance (a Durable Object in the worker) keeps alerts,
//! subscribers and deliveries, and fans alerts out. Here it runs over two traits
//! ([`store::Store`], [`store::Effects`]), so everything below runs under `cargo test` against
//! [`memory`]; the Durable Object is a thin shell that implements the traits and passes requests
//! through.
//!
//! - [`intake`]: accepting an alert with one pending delivery per matching subscriber, in one
//!   storage write, before answering; folding repeats into an open incident; pruning; listing.
//! - [`dispatch`]: delivery runs (leased attempts, concurrently, each under its own timeout),
//!   recording results, retries by alarm, dead letters, manual retry.
//! - [`subscriptions`]: subscriber CRUD, configured subscribers, disabled flags, and publishing
//!   the states subscribers want.
//! - [`keys`]: the storage layout.

pub mod dispatch;
pub mod intake;
pub mod keys;
#[cfg(test)]
pub mod memory;
pub mod store;
pub mod subscriptions;

use std::cell::Cell;
use std::rc::Rc;

use crate::config::{AlertConfig, Config};
use crate::protocol::{HubReply, HubRequest, Reply};
use store::{Effects, Store};

/// The hub over its storage `S` and the world `E`.
pub struct Hub<S, E> {
    pub store: S,
    pub fx: E,
    config: Rc<Config>,
    run: RunFlags,
}

/// One delivery run at a time per instance; a run asked for meanwhile runs right after it.
#[derive(Default)]
struct RunFlags {
    running: Cell<bool>,
    again: Cell<bool>,
}

/// An answer, and whether deliveries may now be due (the shell then starts a run after
/// answering, so the caller does not wait for it).
#[derive(Debug)]
pub struct Handled {
    pub reply: Reply<HubReply>,
    pub run_deliveries: bool,
}

impl<S: Store, E: Effects> Hub<S, E> {
    pub fn new(store: S, fx: E, config: Rc<Config>) -> Self {
        Hub {
            store,
            fx,
            config,
            run: RunFlags::default(),
        }
    }

    fn cfg(&self) -> &AlertConfig {
        &self.config.alerts
    }

    /// Answers one request.
    pub async fn handle(&self, req: HubRequest) -> Handled {
        let no_run = |reply| Handled {
            reply,
            run_deliveries: false,
        };
        match req {
            HubRequest::Accept { alert } => Handled {
                reply: self.accept(alert).await.map(HubReply::Accepted),
                run_deliveries: true,
            },
            HubRequest::ListAlerts { limit, delivery } => {
                no_run(self.list_alerts(limit, delivery).await.map(HubReply::Alerts))
            }
            HubRequest::GetAlert { id } => no_run(
                self.get_alert(&id)
                    .await
                    .map(|rec| HubReply::Alert(Box::new(rec))),
            ),
            HubRequest::Retry { id } => {
                let reply = self.retry(&id).await;
                let run = reply.as_ref().is_ok_and(|r| !r.requeued.is_empty());
                Handled {
                    reply: reply.map(HubReply::Retried),
                    run_deliveries: run,
                }
            }
            HubRequest::CreateSubscriber { new } => {
                no_run(self.create_subscriber(new).await.map(HubReply::Created))
            }
            HubRequest::ListSubscribers => no_run(
                self.list_subscribers()
                    .await
                    .map(HubReply::Subscriptions),
            ),
            HubRequest::GetSubscriber { id } => {
                no_run(self.get_subscriber(&id).await.map(HubReply::Subscriber))
            }
            HubRequest::DeleteSubscriber { id } => {
                no_run(self.delete_subscriber(&id).await.map(HubReply::Deleted))
            }
        }
    }
}

#[cfg(test)]
mod tests;
