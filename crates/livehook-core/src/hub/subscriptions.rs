//! Subscribers: created through the API (stored here, with a generated id and signing secret)
//! or declared in `ALERT_SUBSCRIBERS` (from configuration, read-only here); either may be
//! disabled (a 410). After every change the hub publishes, through KV, the non-error states
//! some enabled subscriber wants, so stream objects know which state changes to hand over.
//!
//! Invariants (tested in `hub/tests.rs`):
//! - At most [`MAX_SUBSCRIBERS`] API subscribers; a configured one cannot be deleted here.
//! - A webhook subscriber's secret is shown once, in the creation answer (or the rotation
//!   answer), and never again; after a rotation the old secret signs beside the new for a day.

use serde_json::json;

use super::effects::{Effects, Level};
use super::keys;
use super::state::Hub;
use super::store::list_json;
use crate::alerts::secret::{SigningSecret, SECRET_BYTES};
use crate::alerts::subscriber::{
    AlsoSigning, Disabled, NewSubscriber, Subscriber, ROTATION_OVERLAP_MS,
};
use crate::ids::SubscriberId;
use crate::ingest::event::State;
use crate::protocol::{Created, Deleted, ObjectError, Reply, Rotated, SubscriptionsPage};
use crate::store::{ListQuery, Store, StoreError, Stored};
use crate::time::{format_rfc3339, millis_to_nanos};

/// Most subscribers created through the API.
pub const MAX_SUBSCRIBERS: usize = 100;
/// Random bytes in an API subscriber's id.
const ID_BYTES: usize = 10;

impl<S: Store, E: Effects> Hub<S, E> {
    /// API and configured subscribers, with disabled flags applied.
    pub async fn subscribers(&self) -> Result<Vec<Subscriber>, StoreError> {
        let mut subs: Vec<Subscriber> = list_json(&self.store, keys::SUBSCRIBER_PREFIX).await?;
        subs.extend(self.cfg().subscribers.subscribers.iter().cloned());
        let disabled = self
            .store
            .list(ListQuery::prefix(keys::DISABLED_PREFIX))
            .await?;
        for (key, value) in disabled {
            let id = key.strip_prefix(keys::DISABLED_PREFIX).unwrap_or_default();
            if let Some(sub) = subs.iter_mut().find(|s| s.id == *id) {
                sub.disabled = value.parse::<Disabled>();
            }
        }
        Ok(subs)
    }

    pub async fn list_subscribers(&self) -> Reply<SubscriptionsPage> {
        let subs = self.subscribers().await?;
        Ok(SubscriptionsPage {
            subscriptions: subs.iter().map(Subscriber::view).collect(),
        })
    }

    pub async fn get_subscriber(
        &self,
        id: &SubscriberId,
    ) -> Reply<crate::alerts::subscriber::SubscriberView> {
        let subs = self.subscribers().await?;
        subs.iter()
            .find(|s| s.id == *id)
            .map(Subscriber::view)
            .ok_or(ObjectError::NoSuchSubscriber)
    }

    /// Whether `id` is declared in `ALERT_SUBSCRIBERS` (read-only here).
    fn is_configured(&self, id: &SubscriberId) -> bool {
        self.cfg()
            .subscribers
            .subscribers
            .iter()
            .any(|s| s.id == *id)
    }

    /// A fresh `whsec_` signing secret.
    fn new_secret(&self) -> Reply<SigningSecret> {
        let mut random = [0u8; SECRET_BYTES];
        self.fx.random(&mut random)?;
        Ok(SigningSecret::generate(&random))
    }

    pub async fn create_subscriber(&self, new: NewSubscriber) -> Reply<Created> {
        let existing: Vec<Subscriber> = list_json(&self.store, keys::SUBSCRIBER_PREFIX).await?;
        if existing.len() >= MAX_SUBSCRIBERS {
            return Err(ObjectError::Conflict(format!(
                "at most {MAX_SUBSCRIBERS} subscribers"
            )));
        }
        let mut id_bytes = [0u8; ID_BYTES];
        self.fx.random(&mut id_bytes)?;
        let id = SubscriberId::from_bytes(&id_bytes);
        let secret = if new.format.is_signed() {
            Some(self.new_secret()?)
        } else {
            None
        };
        let created_at = format_rfc3339(millis_to_nanos(self.fx.now_ms()));
        let sub = new.into_subscriber(id.clone(), secret.clone(), created_at);
        self.store
            .put_all(vec![(keys::subscriber(&id), Stored::json(&sub)?)])
            .await?;
        self.publish_notify_states().await?;
        self.fx.log(
            Level::Info,
            "subscriber created",
            json!({ "subscriber": id, "format": sub.format.as_str() }),
        );
        // The secret is shown once: only its holder can verify signatures.
        Ok(Created {
            subscriber: sub.view(),
            secret,
        })
    }

    /// A new signing secret for a webhook subscriber. The current one keeps signing beside it
    /// for [`ROTATION_OVERLAP_MS`], so a receiver can switch at its own pace; a second rotation
    /// within that day drops the oldest secret at once.
    pub async fn rotate_subscriber(&self, id: &SubscriberId) -> Reply<Rotated> {
        if self.is_configured(id) {
            return Err(ObjectError::Conflict(
                "declared in ALERT_SUBSCRIBERS: set ALERT_WEBHOOK_SECRET_NEXT to rotate its secret"
                    .into(),
            ));
        }
        let key = keys::subscriber(id);
        let Some(mut sub) = self
            .store
            .get(&key)
            .await?
            .and_then(|s| s.parse::<Subscriber>())
        else {
            return Err(ObjectError::NoSuchSubscriber);
        };
        let Some(current) = sub.secret.take() else {
            return Err(ObjectError::Conflict(format!(
                "a {} subscriber has no signing secret",
                sub.format.as_str()
            )));
        };
        let secret = self.new_secret()?;
        let now = self.fx.now_ms();
        sub.secret = Some(secret.clone());
        sub.also_signing = Some(AlsoSigning {
            secret: current,
            until_ms: Some(now.saturating_add(ROTATION_OVERLAP_MS)),
        });
        self.store.put_all(vec![(key, Stored::json(&sub)?)]).await?;
        self.fx.log(
            Level::Info,
            "subscriber secret rotated",
            json!({ "subscriber": id }),
        );
        Ok(Rotated {
            subscriber: sub.view(),
            secret,
        })
    }

    pub async fn delete_subscriber(&self, id: &SubscriberId) -> Reply<Deleted> {
        if self.is_configured(id) {
            return Err(ObjectError::Conflict(
                "declared in ALERT_SUBSCRIBERS: remove it there and redeploy".into(),
            ));
        }
        let key = keys::subscriber(id);
        if self.store.get(&key).await?.is_none() {
            return Err(ObjectError::NoSuchSubscriber);
        }
        self.store.delete_all(vec![key, keys::disabled(id)]).await?;
        self.publish_notify_states().await?;
        self.fx.log(
            Level::Info,
            "subscriber deleted",
            json!({ "subscriber": id }),
        );
        Ok(Deleted {
            id: id.clone(),
            deleted: true,
        })
    }

    /// Stops deliveries to a subscriber (its endpoint answered 410 Gone).
    pub(crate) async fn disable(&self, id: &SubscriberId, reason: &str) -> Result<(), StoreError> {
        let disabled = Disabled {
            at: format_rfc3339(millis_to_nanos(self.fx.now_ms())),
            reason: reason.to_owned(),
        };
        self.store
            .put_all(vec![(keys::disabled(id), Stored::json(&disabled)?)])
            .await?;
        self.publish_notify_states().await
    }

    /// The non-error states some enabled subscriber wants, sorted by name, to KV.
    async fn publish_notify_states(&self) -> Result<(), StoreError> {
        let subs = self.subscribers().await?;
        let mut states: Vec<State> = subs
            .iter()
            .filter(|s| s.enabled())
            .flat_map(|s| s.filter.states.iter().copied())
            .filter(|st| *st != State::Errored)
            .collect();
        states.sort_by_key(|s| s.as_str());
        states.dedup();
        self.fx.publish_notify_states(&states).await
    }
}
