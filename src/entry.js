// The Worker's JavaScript entry (bundled by scripts/build.sh into build/index.js with the glue
// wasm-bindgen writes for the Rust crate). It exports what wrangler.toml names: the fetch and
// scheduled handlers and the three Durable Object classes, each handing every call to Rust
// through `call`.
//
// A trap in the Wasm (a Rust panic: the release profile aborts) kills the instance, and with it
// every call still running in it. The glue then calls the Rust abort hook, which calls `onTrap`
// here (src/platform/trap.rs). So that no request waits forever and the next one runs:
// - every pending call gets rejected: the worker's fetch then answers livehook's JSON 500, a
//   Durable Object's caller sees its call fail. Each call is rejected from its own request: a
//   promise rejected from another request's code (the one that trapped) does not wake the
//   request waiting on it. So a call that traps while it runs is rejected at once, and a call
//   that is waiting (on storage, on another object) looks every `WATCH_MS` whether the instance
//   trapped since it started.
// - `call` makes a fresh instance before the next call into Rust (as worker-build's shim does:
//   `onTrap` sets workers-rs's `criticalError`), and a Durable Object class makes its Rust object
//   again when the instance changed (`instanceId`, counted by workers-rs's start function). The
//   object's storage is untouched: it reads it again, as after an eviction. Until then, a
//   callback of the dead instance (a runtime promise settling) fails at once ("Module
//   terminated").
import { DurableObject } from "cloudflare:workers";
import * as glue from "./index.js";

/** The state workers-rs shares with the JS shell: `instanceId`, and `criticalError` (trapped). */
const init = glue.__worker_init_state();

/** What a call pending in a trapped instance is rejected with (its message crosses JS RPC). */
const TRAPPED = "livehook: the Wasm instance trapped";

/** The answer to a request whose call trapped: the body of livehook's `internal_error`. */
const INTERNAL_ERROR = JSON.stringify({
  error: "internal_error",
  message: "internal error: the request was not completed, retry",
});

/** How often a pending call looks whether the instance trapped (ms). */
const WATCH_MS = 200;

/** Traps so far: a call that sees this change while it waits was running in a dead instance. */
let traps = 0;

function onTrap() {
  init.criticalError = true;
  traps += 1;
}

glue.installTrapHandler(onTrap);

/**
 * `run()` (a call into Rust) on a live instance; if it returns a promise, one that settles even
 * if the instance traps.
 */
function call(run) {
  if (init.criticalError) {
    glue.__wbg_reset_state();
    init.criticalError = false;
    glue.installTrapHandler(onTrap);
  }
  const before = traps;
  let result;
  try {
    result = run();
  } catch (error) {
    // A trap while the call ran throws the runtime's own error: callers see the one message.
    throw traps !== before ? new Error(TRAPPED) : error;
  }
  const isPromise = result instanceof Promise;
  if (traps !== before) {
    if (isPromise) return Promise.reject(new Error(TRAPPED));
    throw new Error(TRAPPED);
  }
  if (!isPromise) return result;
  return new Promise((resolve, reject) => {
    let timer;
    const watch = () => {
      if (traps !== before) reject(new Error(TRAPPED));
      else timer = setTimeout(watch, WATCH_MS);
    };
    timer = setTimeout(watch, WATCH_MS);
    result.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

/** A Durable Object class whose calls are handled by the Rust class `Inner`. */
function durableObject(Inner) {
  return class extends DurableObject {
    #inner = null;
    #instance = -1;

    /** The Rust object, made again after the instance changed (used inside `call`). */
    #rust() {
      if (this.#instance !== init.instanceId) {
        this.#inner = new Inner(this.ctx, this.env);
        this.#instance = init.instanceId;
      }
      return this.#inner;
    }

    /** The internal call from the worker and the other object (src/platform/rpc.rs). */
    rpc(body) {
      return call(() => this.#rust().rpc(body));
    }

    fetch(request) {
      return call(() => this.#rust().fetch(request));
    }

    alarm() {
      return call(() => this.#rust().alarm());
    }

    webSocketMessage(ws, message) {
      return call(() => this.#rust().webSocketMessage(ws, message));
    }

    webSocketClose(ws, code, reason, wasClean) {
      return call(() => this.#rust().webSocketClose(ws, code, reason, wasClean));
    }

    webSocketError(ws, error) {
      return call(() => this.#rust().webSocketError(ws, error));
    }
  };
}

export const StreamStatus = durableObject(glue.StreamStatus);
export const AlertHub = durableObject(glue.AlertHub);
export const Reconciler = durableObject(glue.Reconciler);

export default {
  async fetch(request, env, ctx) {
    try {
      return await call(() => glue.handleFetch(request, env, ctx));
    } catch (error) {
      // A trap (the panic hook logged it), or a JS exception the Rust side did not turn into an
      // answer (logged here).
      if (error?.message !== TRAPPED) {
        console.error(JSON.stringify({ msg: "unhandled error", error: String(error) }));
      }
      return new Response(INTERNAL_ERROR, {
        status: 500,
        headers: { "content-type": "application/json", "cache-control": "no-store" },
      });
    }
  },

  /** The Cron Trigger (wrangler.toml's `[triggers]`): a reconcile pass (src/scheduled.rs). */
  async scheduled(controller, env, ctx) {
    try {
      await call(() => glue.handleScheduled(env));
    } catch (error) {
      if (error?.message !== TRAPPED) {
        console.error(JSON.stringify({ msg: "unhandled error", error: String(error) }));
      }
    }
  },
};
