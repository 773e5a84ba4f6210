//! Whether a stream object pushes a change to the hub's live feed. Pushing every applied change
//! would make the one hub take a request per event even when no board is open (a cap on the
//! whole deployment's throughput, and a second object call per webhook). The hub answers each
//! push with how many viewers it reached; while it last said "nobody", pushes stop for
//! [`LIVE_RECHECK_MS`], and the first change after that asks again (and is delivered if someone
//! now watches). So a board that opens misses at most the changes of that one window, which it
//! reads again from the list [`LIVE_RECHECK_MS`] plus a margin after its feed opens.
//!
//! One gate per isolate, shared by its stream objects: with nobody watching, an isolate sends
//! at most one push per window, whatever the traffic.

/// How long "nobody watches" is believed.
pub const LIVE_RECHECK_MS: u64 = 1_000;

/// What this isolate knows of the live feed's viewers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LiveGate {
    /// When the hub last answered that nobody watches (`None`: someone did, or never asked).
    nobody_since_ms: Option<u64>,
}

impl LiveGate {
    /// Nothing known yet: push.
    pub const fn new() -> Self {
        LiveGate {
            nobody_since_ms: None,
        }
    }

    /// Whether a change at `now_ms` goes to the hub.
    pub fn should_push(&self, now_ms: u64) -> bool {
        self.nobody_since_ms
            .is_none_or(|at| now_ms.saturating_sub(at) >= LIVE_RECHECK_MS || now_ms < at)
    }

    /// The hub's answer to a push made at `now_ms`: how many viewers it reached.
    pub fn learned(&mut self, viewers: usize, now_ms: u64) {
        self.nobody_since_ms = (viewers == 0).then_some(now_ms);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn with_nobody_watching_an_isolate_asks_once_a_window() {
        let mut gate = LiveGate::new();
        assert!(gate.should_push(1_000), "unknown: push (and learn)");
        gate.learned(0, 1_000);
        let pushed = (1_000..5_000)
            .step_by(10)
            .filter(|&t| {
                let push = gate.should_push(t);
                if push {
                    gate.learned(0, t);
                }
                push
            })
            .count();
        assert_eq!(pushed, 3, "at 2 000, 3 000 and 4 000 ms, not 400 times");
    }

    #[test]
    fn a_viewer_gets_every_change_from_the_next_recheck_on() {
        let mut gate = LiveGate::new();
        gate.learned(0, 10_000);
        assert!(
            !gate.should_push(10_500),
            "a viewer who opened at 10 400 misses this one"
        );
        assert!(gate.should_push(11_000), "the recheck reaches them");
        gate.learned(1, 11_000);
        assert!(
            (11_001..11_100).all(|t| gate.should_push(t)),
            "then every change"
        );
        gate.learned(0, 20_000);
        assert!(!gate.should_push(20_999));
    }

    #[test]
    fn a_clock_step_back_does_not_silence_the_feed() {
        let mut gate = LiveGate::new();
        gate.learned(0, 50_000);
        assert!(gate.should_push(40_000));
    }
}
