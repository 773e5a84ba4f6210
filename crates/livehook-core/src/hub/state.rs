//! The hub's state: what one instance holds (its storage, its effects, the configuration,
//! whether a delivery run is going), and the helpers every job uses: finding an alert by id and
//! keeping the alarm early enough.

use std::cell::Cell;
use std::rc::Rc;

use super::effects::Effects;
use super::keys;
use super::store::get_json;
use crate::alerts::record::AlertRecord;
use crate::config::{AlertConfig, Config};
use crate::ids::AlertId;
use crate::store::{Store, StoreError};

/// How long an attempt's lease outlives its timeout.
pub const LEASE_MARGIN_MS: u64 = 5_000;

/// The hub over its storage `S` and the world `E`.
pub struct Hub<S, E> {
    pub store: S,
    pub fx: E,
    config: Rc<Config>,
    pub(super) run: RunFlags,
}

/// One delivery run at a time per instance; a run asked for meanwhile runs right after it.
#[derive(Default)]
pub(super) struct RunFlags {
    pub running: Cell<bool>,
    pub again: Cell<bool>,
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

    pub(super) fn cfg(&self) -> &AlertConfig {
        &self.config.alerts
    }

    /// How long an attempt may hold its delivery.
    pub(super) fn lease_ms(&self) -> u64 {
        self.cfg().attempt_timeout_ms + LEASE_MARGIN_MS
    }

    /// The record of alert `id` (also found by the id of a repeat folded into it), and its key.
    pub(super) async fn find_alert(
        &self,
        id: &AlertId,
    ) -> Result<Option<(String, AlertRecord)>, StoreError> {
        let Some(key) = self.store.get(&keys::alert_id(id)).await? else {
            return Ok(None);
        };
        let Some(key) = key.as_text() else {
            return Ok(None);
        };
        Ok(get_json(&self.store, key)
            .await?
            .map(|rec| (key.to_owned(), rec)))
    }

    /// Makes sure the alarm fires no later than `at`.
    pub(super) async fn alarm_no_later_than(&self, at: u64) -> Result<(), StoreError> {
        let current = self.store.alarm().await?;
        if current.is_none_or(|c| c > at) {
            self.set_alarm(at).await?;
        }
        Ok(())
    }

    /// Sets the alarm (never in the past).
    pub(super) async fn set_alarm(&self, at: u64) -> Result<(), StoreError> {
        self.store.set_alarm(at.max(self.fx.now_ms())).await
    }
}
