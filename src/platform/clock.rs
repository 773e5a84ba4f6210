//! Time for the shell: the runtime's clock, a deadline for an await, and Durable Object alarms
//! at absolute times. (The core takes `now` as an argument instead.)

use std::future::Future;
use std::time::Duration;

use futures_util::future::{select, Either};
use worker::{js_sys, ScheduledTime, Storage};

/// Milliseconds since the epoch, from the runtime's clock.
pub fn now_ms() -> u64 {
    worker::Date::now().as_millis()
}

/// `fut`'s output, or `None` if `limit` passes first (`fut` is then dropped).
pub async fn within<F: Future>(limit: Duration, fut: F) -> Option<F::Output> {
    let fut = std::pin::pin!(fut);
    let timer = std::pin::pin!(worker::Delay::from(limit));
    match select(fut, timer).await {
        Either::Left((out, _)) => Some(out),
        Either::Right(_) => None,
    }
}

/// Sets the object's alarm to `at_ms` (absolute). `set_alarm(i64)` would take the number as an
/// offset, hence the `Date`.
pub async fn set_alarm_at(storage: &Storage, at_ms: u64) -> worker::Result<()> {
    let when = js_sys::Date::new(&(at_ms as f64).into());
    storage.set_alarm(ScheduledTime::new(when)).await
}
