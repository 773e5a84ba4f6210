//! The two runtime services the shell shares: the clock and a deadline for an await. (The pure
//! core takes `now` as an argument instead.)

use std::future::Future;
use std::time::Duration;

use futures_util::future::{select, Either};

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
