//! What happens when the Wasm traps (a Rust panic: the release profile aborts, and an abort is a
//! trap). The instance is then dead: every call still pending in it would wait forever, and the
//! next call must run on a fresh instance. `src/entry.js` does both; this module gives it what it
//! needs from inside the Wasm:
//!
//! - the panic hook: `console_error_panic_hook` logs the panic once, with its message and the JS
//!   stack. workers-rs's own panic hook would log it a second time; its one other effect, the
//!   `criticalError` flag of the state workers-rs shares with the JS shell (a fresh instance
//!   before the next call), is set by `src/entry.js` for every trap, panic or not.
//! - the abort hook the wasm-bindgen glue calls at a trap, before it rethrows: it calls
//!   `src/entry.js`'s `onTrap`, which rejects every call pending in the dead instance so each
//!   request gets its answer. It is the hook's only call: after a trap the glue makes any call
//!   from the Wasm into JS trap again when it returns (so workers-rs's own abort hook, which
//!   schedules the glue's re-instantiation from JS, cannot run beside it; `src/entry.js` makes
//!   the fresh instance itself, before the next call, so no callback of the dead instance runs
//!   in the new one).
//!
//! [`install`] runs once per instance, called by `src/entry.js` after the glue instantiates the
//! Wasm, so it comes after workers-rs's start function, whichever order the start functions run
//! in.
//!
//! With the cargo feature `test-traps` (a build made only for `tests/traps.test.mjs`), a request
//! header arms a panic at one place ([`arm`], [`spring`]); without it, both are empty and the
//! header is never read.

use std::cell::RefCell;

use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::JsValue;
use worker::{js_sys, web_sys};

thread_local! {
    /// `src/entry.js`'s trap callback.
    static ON_TRAP: RefCell<Option<js_sys::Function>> = const { RefCell::new(None) };
}

/// Installs the panic hook and the abort hook (see the module's doc). `on_trap` is called, with
/// no argument, when this instance traps.
#[wasm_bindgen(js_name = installTrapHandler)]
pub fn install(on_trap: js_sys::Function) {
    ON_TRAP.with(|f| f.replace(Some(on_trap)));
    std::panic::set_hook(Box::new(console_error_panic_hook::hook));
    wasm_bindgen::handler::set_on_abort(on_abort);
}

fn on_abort() {
    ON_TRAP.with(|f| {
        if let Some(on_trap) = f.borrow().as_ref() {
            let _ = on_trap.call0(&JsValue::NULL);
        }
    });
}

/// Where a test build can be made to panic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// The worker's own fetch.
    Fetch,
    /// A stream object's next call.
    StreamObject,
    /// The alert hub's next `Accept` (an alert handed over).
    Hub,
}

/// The request header that arms a panic in a `test-traps` build: `fetch`, `stream` or `hub`.
pub const ARM_HEADER: &str = "x-livehook-test-trap";

#[cfg(feature = "test-traps")]
thread_local! {
    static ARMED: std::cell::Cell<Option<Place>> = const { std::cell::Cell::new(None) };
}

/// Arms a panic at the place the request's [`ARM_HEADER`] names (`test-traps` builds only; the
/// objects run in the worker's isolate under Miniflare, so a panic armed here springs in them).
#[cfg(feature = "test-traps")]
pub fn arm(req: &web_sys::Request) {
    let header = req.headers().get(ARM_HEADER).ok().flatten();
    let place = match header.as_deref() {
        Some("fetch") => Place::Fetch,
        Some("stream") => Place::StreamObject,
        Some("hub") => Place::Hub,
        _ => return,
    };
    ARMED.with(|a| a.set(Some(place)));
}

/// Panics if a panic is armed at `place` (`test-traps` builds only).
#[cfg(feature = "test-traps")]
pub fn spring(place: Place) {
    if ARMED.with(|a| a.get()) == Some(place) {
        ARMED.with(|a| a.set(None));
        panic!("test trap: {place:?}");
    }
}

#[cfg(not(feature = "test-traps"))]
#[inline(always)]
pub fn arm(_req: &web_sys::Request) {}

#[cfg(not(feature = "test-traps"))]
#[inline(always)]
pub fn spring(_place: Place) {}
