// The live-stream lifecycle Mux defined and FastPix follows: what `video.live_stream.{name}`
// and `video.live_stream.simulcast_target.{name}` mean for a stream's state, given its own
// `status` (`idle`, `active`, `disabled`) where the event needs it.

const STATUS = { idle: "idle", active: "live", disabled: "disabled" };

/** The state a stream's `status` means, or `undefined`. */
export const statusState = (status) => (Object.hasOwn(STATUS, status ?? "") ? STATUS[status] : undefined);

/**
 * `{state, recording}` for `video.live_stream.{name}`; `"no_status"` when the event takes its
 * state from a missing or unknown `status`; `undefined` when it is not a lifecycle event.
 */
export function liveStream(name, status) {
  switch (name) {
    case "created": return { state: "created", recording: false };
    case "connected": return { state: "connected" };
    // Recording starts around the moment the stream goes live; the status says which side.
    case "recording": return { state: status === "active" ? "live" : "connected", recording: true };
    case "active": return { state: "live" };
    case "disconnected": return { state: "disconnected", recording: false };
    case "idle": return { state: "idle", recording: false };
    // A configuration change: the state is whatever the status says now.
    case "updated": {
      const state = statusState(status);
      return state ? { state } : "no_status";
    }
    case "enabled": {
      const state = statusState(status);
      return { state: state && state !== "disabled" ? state : "idle" };
    }
    case "disabled": return { state: "disabled", recording: false };
    case "deleted": return { state: "deleted", recording: false };
    default: return undefined;
  }
}

const TARGET = { created: "created", idle: "idle", starting: "connected", broadcasting: "live", deleted: "deleted" };

/** `video.live_stream.simulcast_target.{name}`: a restream target's own state, or `undefined`. */
export const simulcastTarget = (name) => (Object.hasOwn(TARGET, name) ? TARGET[name] : undefined);
