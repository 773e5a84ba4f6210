//! `GET /alerts/live`: a hibernatable WebSocket per viewer. The hub broadcasts every alert (and
//! repeat count) to them. The runtime answers `ping` with `pong` itself (WebSocket
//! auto-response), so keep-alive pings do not wake a hibernated hub. The worker has checked the
//! token before the request got here.

use livehook_core::protocol::{LIVE_PING, LIVE_PONG, LIVE_PROTOCOL};
use livehook_core::text::write_json;
use serde_json::json;
use worker::worker_sys::WebSocketRequestResponsePair;
use worker::{Request, Response, Result, State, WebSocketPair};

/// Whether `req` asks for a WebSocket.
pub fn is_upgrade(req: &Request) -> bool {
    req.headers()
        .get("Upgrade")
        .ok()
        .flatten()
        .is_some_and(|u| u.eq_ignore_ascii_case("websocket"))
}

pub fn accept(state: &State, req: &Request) -> Result<Response> {
    let pair = WebSocketPair::new()?;
    state.accept_web_socket(&pair.server);
    // Idempotent; the runtime keeps one pair per object.
    if let Ok(ping) = WebSocketRequestResponsePair::new(LIVE_PING, LIVE_PONG) {
        state.set_websocket_auto_response(&ping);
    }
    pair.server
        .send_with_str(write_json(&json!({ "type": "hello", "protocol": 1 })))?;
    let offered = req
        .headers()
        .get("Sec-WebSocket-Protocol")?
        .unwrap_or_default();
    let mut resp = Response::from_websocket(pair.client)?;
    if offered.split(',').any(|p| p.trim() == LIVE_PROTOCOL) {
        resp.headers_mut()
            .set("Sec-WebSocket-Protocol", LIVE_PROTOCOL)?;
    }
    Ok(resp)
}
