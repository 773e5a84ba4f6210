//! A stream object's effects trait over the runtime: the clock, the JSON logger, Workers KV
//! (the wanted states, the status record) and typed calls to the alert hub under a deadline.

use std::fmt;
use std::time::Duration;

use livehook_core::protocol::{Call, HubRequest, ObjectError, Reply, STATUS_KV};
use livehook_core::store::StoreError;
use livehook_core::stream::effects::Effects;
use worker::Env;

use crate::platform::clock::{now_ms, within};
use crate::platform::kv::Kv;
use crate::platform::{log, rpc};

pub struct DoEffects {
    pub env: Env,
}

fn kv_failed(e: impl fmt::Display) -> StoreError {
    StoreError(e.to_string())
}

impl Effects for DoEffects {
    fn now_ms(&self) -> u64 {
        now_ms()
    }

    fn failed(&self, msg: &str, error: &dyn fmt::Display) {
        log::failed(msg, error);
    }

    async fn kv_get(&self, key: &str) -> Result<Option<String>, StoreError> {
        let kv = Kv::bound(&self.env, STATUS_KV).map_err(kv_failed)?;
        kv.get_text(key).await.map_err(kv_failed)
    }

    async fn kv_put_record(
        &self,
        key: &str,
        record: &str,
        state: &str,
        kind: &str,
    ) -> Result<(), StoreError> {
        let kv = Kv::bound(&self.env, STATUS_KV).map_err(kv_failed)?;
        kv.put_record(key, record, state, kind)
            .await
            .map_err(kv_failed)
    }

    async fn call_hub<C: Call<Wire = HubRequest>>(
        &self,
        request: C,
        timeout_ms: u64,
    ) -> Reply<C::Reply> {
        let hub = rpc::hub(&self.env)?;
        let limit = Duration::from_millis(timeout_ms);
        within(limit, rpc::call(&hub, request))
            .await
            .unwrap_or_else(|| Err(ObjectError::Unavailable("alert hub timed out".into())))
    }
}
