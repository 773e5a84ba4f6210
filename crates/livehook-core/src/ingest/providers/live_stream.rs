//! The live-stream lifecycle Mux defined and FastPix follows: what each
//! `video.live_stream.{name}` and `video.live_stream.simulcast_target.{name}` event means for a
//! stream's state, given the stream's own `status` (`idle`, `active`, `disabled`) where the
//! event needs it. Only the meaning is shared: envelopes, ids, signatures and the events only
//! one of them sends stay in each provider's file.

use crate::ingest::event::State;

/// What a lifecycle event means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lifecycle {
    /// The stream's new state, and whether it is being recorded where the event says.
    State(State, Option<bool>),
    /// A known event that takes its state from `status`, which is missing or unknown.
    NoStatus,
    /// Not a lifecycle event.
    Unknown,
}

/// The stream's own `status`: idle (no broadcast), active (broadcast in progress), disabled.
pub(crate) fn status_state(status: Option<&str>) -> Option<State> {
    match status? {
        "idle" => Some(State::Idle),
        "active" => Some(State::Live),
        "disabled" => Some(State::Disabled),
        _ => None,
    }
}

/// `video.live_stream.{name}` for a live stream whose `status` the event carries.
pub(crate) fn live_stream(name: &str, status: Option<&str>) -> Lifecycle {
    let state = |s: State, recording: Option<bool>| Lifecycle::State(s, recording);
    match name {
        "created" => state(State::Created, Some(false)),
        "connected" => state(State::Connected, None),
        // Recording starts around the moment the stream goes live; the status says which side.
        "recording" if status == Some("active") => state(State::Live, Some(true)),
        "recording" => state(State::Connected, Some(true)),
        "active" => state(State::Live, None),
        "disconnected" => state(State::Disconnected, Some(false)),
        "idle" => state(State::Idle, Some(false)),
        // A configuration change: the state is whatever the status says now.
        "updated" => status_state(status).map_or(Lifecycle::NoStatus, |s| state(s, None)),
        "enabled" => state(
            status_state(status)
                .filter(|s| *s != State::Disabled)
                .unwrap_or(State::Idle),
            None,
        ),
        "disabled" => state(State::Disabled, Some(false)),
        "deleted" => state(State::Deleted, Some(false)),
        _ => Lifecycle::Unknown,
    }
}

/// `video.live_stream.simulcast_target.{name}`: a restream target's own lifecycle (`errored` is
/// the provider's business: it knows what error to attach).
pub(crate) fn simulcast_target(name: &str) -> Option<State> {
    match name {
        "created" => Some(State::Created),
        "idle" => Some(State::Idle),
        "starting" => Some(State::Connected),
        "broadcasting" => Some(State::Live),
        "deleted" => Some(State::Deleted),
        _ => None,
    }
}
