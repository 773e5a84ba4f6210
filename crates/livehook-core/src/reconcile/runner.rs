//! Every configured API, one pass each ([`Runner::run`]), with what each pass keeps
//! ([`super::pass::ApiState`]) stored between passes under `api:{provider}`, and the health
//! report `/healthz` shows ([`Runner::health`]). The `Reconciler` Durable Object
//! (`src/objects/reconciler/`, on the Cron Trigger and `POST /reconcile`) implements
//! [`RunnerEffects`] and the store; the tests here run it over memory.
//!
//! Invariants (each has a test below): one run at a time (a run asked for meanwhile is told so
//! and does nothing); an API without its settings is never asked; each API's state is stored
//! after its pass, so a failure of one API never loses another's.

use std::cell::Cell;
use std::collections::BTreeMap;

use serde_json::Value;

use super::decide::Poll;
use super::outgoing::{outgoing, Outgoing};
use super::pass::{self, Answer, ApiState, Applied, Known, NoAnswer, PassEffects, Summary};
use super::plan::limit;
use super::settings::{Api, ApiAccess, ReconcileSettings};
use crate::store::{Store, StoreError, Stored};

/// What a run does to the world.
#[allow(async_fn_in_trait)]
pub trait RunnerEffects {
    fn now_ms(&self) -> u64;
    /// One request, bounded in time.
    async fn send(&self, request: &Outgoing) -> Result<Answer, NoAnswer>;
    /// livehook's live inputs of `provider`, with whether each is on air (its KV listing).
    async fn known(&self, provider: &str) -> Result<Vec<Known>, StoreError>;
    /// One stream's answer, to its object.
    async fn apply(&self, poll: Poll) -> Result<Applied, String>;
}

/// A run's answer: each polled provider's summary, or that a run was already under way.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct RunSummary {
    pub already_running: bool,
    pub providers: BTreeMap<&'static str, Summary>,
}

/// The runner over its storage `S` and the world `E`.
pub struct Runner<S, E> {
    pub store: S,
    pub fx: E,
    settings: ReconcileSettings,
    running: Cell<bool>,
}

/// One API's requests through the runner's effects, authenticated for it.
struct ApiEffects<'a, E> {
    fx: &'a E,
    access: &'a ApiAccess,
}

impl<E: RunnerEffects> PassEffects for ApiEffects<'_, E> {
    fn now_ms(&self) -> u64 {
        self.fx.now_ms()
    }

    async fn fetch(&self, request: &super::apis::PageRequest) -> Result<Answer, NoAnswer> {
        // A request that cannot be built (a missing setting) is no answer: nothing changes.
        let out = outgoing(self.access, request, self.fx.now_ms() / 1000)
            .map_err(|_| NoAnswer::Network)?;
        self.fx.send(&out).await
    }

    async fn apply(&self, poll: Poll) -> Result<Applied, String> {
        self.fx.apply(poll).await
    }
}

fn state_key(provider: &str) -> String {
    format!("api:{provider}")
}

impl<S: Store, E: RunnerEffects> Runner<S, E> {
    pub fn new(store: S, fx: E, settings: ReconcileSettings) -> Self {
        Runner {
            store,
            fx,
            settings,
            running: Cell::new(false),
        }
    }

    async fn state(&self, provider: &str) -> Result<ApiState, StoreError> {
        Ok(self
            .store
            .get(&state_key(provider))
            .await?
            .and_then(|v| v.parse())
            .unwrap_or_default())
    }

    /// One pass over every configured API, one after another.
    pub async fn run(&self) -> Result<RunSummary, StoreError> {
        if self.running.replace(true) {
            return Ok(RunSummary {
                already_running: true,
                providers: BTreeMap::new(),
            });
        }
        let result = self.run_all().await;
        self.running.set(false);
        result
    }

    async fn run_all(&self) -> Result<RunSummary, StoreError> {
        let mut providers = BTreeMap::new();
        for access in self.settings.polled() {
            let provider = access.api.provider();
            let mut state = self.state(provider).await?;
            let now = self.fx.now_ms();
            if state.budget.next_allowed_ms(limit(access.api), now) > now {
                // Nothing may be asked before the budget's next window (or a Retry-After).
                providers.insert(provider, Summary::default());
                continue;
            }
            // Only Cloudflare's order and IVS's rule depend on what livehook has on air: the
            // others' answers are decided by each stream's object, and cost no KV listing.
            let known = match access.api {
                Api::Cloudflare | Api::Ivs => self.fx.known(provider).await,
                _ => Ok(Vec::new()),
            };
            let known = match known {
                Ok(k) => k,
                Err(_) => {
                    // Without livehook's own list, on-air streams cannot be told apart: wait.
                    providers.insert(
                        provider,
                        Summary {
                            errors: 1,
                            ..Summary::default()
                        },
                    );
                    continue;
                }
            };
            let account = access
                .credentials
                .get(1)
                .filter(|_| access.api == Api::Cloudflare)
                .map(|s| s.expose().to_owned())
                .unwrap_or_default();
            let fx = ApiEffects {
                fx: &self.fx,
                access,
            };
            let summary = pass::run(access.api, &account, &known, &mut state, &fx).await;
            self.store
                .put_all(vec![(state_key(provider), Stored::json(&state)?)])
                .await?;
            providers.insert(provider, summary);
        }
        Ok(RunSummary {
            already_running: false,
            providers,
        })
    }

    /// `/healthz`'s `reconcile`: each polled API's health, and why the others are not polled.
    pub async fn health(&self) -> Result<Value, StoreError> {
        let now = self.fx.now_ms();
        let mut views = BTreeMap::new();
        for access in self.settings.polled() {
            let provider = access.api.provider();
            views.insert(provider, self.state(provider).await?.health.view(now));
        }
        Ok(self
            .settings
            .health(|a| views.get(a.api.provider()).cloned().unwrap_or(Value::Null)))
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use super::*;
    use crate::ingest::event::State;
    use crate::reconcile::apis::Observed;
    use crate::store::memory::{block_on, MemoryStore};

    /// How the stand-in API answers a request.
    type Answering = Box<dyn Fn(&Outgoing) -> Result<Answer, NoAnswer>>;

    struct World {
        sent: RefCell<Vec<Outgoing>>,
        /// The providers whose known streams were listed.
        listed_known: RefCell<Vec<String>>,
        applied: RefCell<Vec<Poll>>,
        answer: RefCell<Answering>,
    }

    impl RunnerEffects for World {
        fn now_ms(&self) -> u64 {
            1_800_000_000_000
        }

        async fn send(&self, request: &Outgoing) -> Result<Answer, NoAnswer> {
            self.sent.borrow_mut().push(request.clone());
            (self.answer.borrow())(request)
        }

        async fn known(&self, provider: &str) -> Result<Vec<Known>, StoreError> {
            self.listed_known.borrow_mut().push(provider.to_owned());
            Ok(Vec::new())
        }

        async fn apply(&self, poll: Poll) -> Result<Applied, String> {
            self.applied.borrow_mut().push(poll);
            Ok(Applied::Confirmed)
        }
    }

    fn runner(vars: &[(&str, &str)]) -> Runner<MemoryStore, World> {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let settings = ReconcileSettings::from_lookup(
            &|k: &str| vars.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()),
            true,
        );
        let fx = World {
            sent: RefCell::new(Vec::new()),
            listed_known: RefCell::new(Vec::new()),
            applied: RefCell::new(Vec::new()),
            answer: RefCell::new(Box::new(|_| {
                Ok(Answer {
                    status: 200,
                    body: br#"[{"id":"a1b2c3d4-e5f6-7890-abcd-ef0123456789","name":"Main","isActive":true}]"#.to_vec(),
                    retry_after_ms: None,
                })
            })),
        };
        Runner::new(MemoryStore::default(), fx, settings)
    }

    #[test]
    fn only_configured_apis_are_asked_and_their_state_is_kept() {
        let r = runner(&[
            ("LIVEPEER_API_KEY", "LPSECRET"),
            ("LIVEPEER_API_BASE", "http://127.0.0.1:9/api"),
        ]);
        let got = block_on(r.run()).unwrap();
        assert!(!got.already_running);
        assert_eq!(
            got.providers.keys().copied().collect::<Vec<_>>(),
            ["livepeer"]
        );
        assert_eq!(got.providers["livepeer"].confirmed, 1);
        let sent = r.fx.sent.borrow();
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0].url, "http://127.0.0.1:9/api/stream?streamsonly=1");
        assert_eq!(r.fx.applied.borrow()[0].state, Observed::State(State::Live));
        let health = block_on(r.health()).unwrap();
        assert_eq!(health["livepeer"]["configured"], true);
        assert!(health["livepeer"]["last_ok_at"].is_string());
        assert_eq!(health["mux"]["configured"], false);
        assert!(!health.to_string().contains("LPSECRET"));
        // The budget is kept between runs.
        drop(sent);
        block_on(r.run()).unwrap();
        let state: ApiState = r
            .store
            .data
            .borrow()
            .get("api:livepeer")
            .and_then(|v| v.parse())
            .unwrap();
        assert_eq!(state.budget.taken.len(), 2);
    }

    #[test]
    fn a_run_asked_for_during_another_does_nothing() {
        let r = runner(&[
            ("LIVEPEER_API_KEY", "k"),
            ("LIVEPEER_API_BASE", "http://127.0.0.1:9/api"),
        ]);
        r.running.set(true);
        let got = block_on(r.run()).unwrap();
        assert!(got.already_running && got.providers.is_empty());
        assert!(r.fx.sent.borrow().is_empty());
        assert!(r.running.get(), "the run under way still holds it");
    }

    #[test]
    fn a_failing_api_is_reported_and_changes_nothing() {
        let r = runner(&[
            ("LIVEPEER_API_KEY", "k"),
            ("LIVEPEER_API_BASE", "http://127.0.0.1:9/api"),
        ]);
        *r.fx.answer.borrow_mut() = Box::new(|_| {
            Ok(Answer {
                status: 403,
                body: b"{}".to_vec(),
                retry_after_ms: None,
            })
        });
        let got = block_on(r.run()).unwrap();
        assert_eq!(got.providers["livepeer"].errors, 1);
        assert!(r.fx.applied.borrow().is_empty());
        let health = block_on(r.health()).unwrap();
        assert_eq!(health["livepeer"]["last_error"]["category"], "unauthorized");
        assert_eq!(health["livepeer"]["last_error"]["status"], 403);
    }

    #[test]
    fn livehooks_own_list_is_read_only_where_it_decides_and_never_while_the_budget_waits() {
        let r = runner(&[
            ("LIVEPEER_API_KEY", "k"),
            ("LIVEPEER_API_BASE", "http://127.0.0.1:9/api"),
            ("IVS_AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"),
            ("IVS_AWS_SECRET_ACCESS_KEY", "s"),
            ("IVS_REGION", "us-west-2"),
            ("IVS_API_BASE", "http://127.0.0.1:9"),
        ]);
        *r.fx.answer.borrow_mut() = Box::new(|o: &Outgoing| {
            let body: &[u8] = if o.url.ends_with("/ListStreams") {
                br#"{"streams":[]}"#
            } else {
                b"[]"
            };
            Ok(Answer {
                status: 200,
                body: body.to_vec(),
                retry_after_ms: None,
            })
        });
        block_on(r.run()).unwrap();
        assert_eq!(*r.fx.listed_known.borrow(), ["ivs"], "IVS's rule needs it");
        assert_eq!(r.fx.sent.borrow().len(), 2);
        // A Retry-After in force: no request, and no listing either.
        let mut state: ApiState = r
            .store
            .data
            .borrow()
            .get("api:ivs")
            .and_then(|v| v.parse())
            .unwrap();
        state.budget.blocked_until_ms = Some(r.fx.now_ms() + 60_000);
        block_on(
            r.store
                .put_all(vec![("api:ivs".into(), Stored::json(&state).unwrap())]),
        )
        .unwrap();
        let got = block_on(r.run()).unwrap();
        assert_eq!(got.providers["ivs"], Summary::default());
        assert_eq!(*r.fx.listed_known.borrow(), ["ivs"]);
        assert_eq!(r.fx.sent.borrow().len(), 3, "livepeer only");
    }
}
