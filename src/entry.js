// The Worker's JavaScript entry (bundled by scripts/build.sh into build/index.js with the glue
// wasm-bindgen writes for the Rust crate). It exports what wrangler.toml names: the fetch handler
// and the two Durable Object classes, each handing every call to its Rust object.
//
// A trap in the Wasm (a panic: the release profile aborts) marks the instance terminated; the
// glue, built with a reset-state function and an abort handler, makes a fresh instance on the
// next call. Rust objects made by the old instance are then stale, so each Durable Object class
// here makes its Rust object again when the instance changed (`instanceId`, counted by workers-rs
// at every start). Its storage is untouched: the object reads it again, as after an eviction.
import { DurableObject } from "cloudflare:workers";
import * as glue from "./index.js";

const init = glue.__worker_init_state();

/** A Durable Object class whose calls are handled by the Rust class `Inner`. */
function durableObject(Inner) {
  return class extends DurableObject {
    #inner = null;
    #instance = -1;

    #rust() {
      if (this.#instance !== init.instanceId) {
        this.#inner = new Inner(this.ctx, this.env);
        this.#instance = init.instanceId;
      }
      return this.#inner;
    }

    /** The internal call from the worker and the other object (src/platform/rpc.rs). */
    rpc(body) {
      return this.#rust().rpc(body);
    }

    fetch(request) {
      return this.#rust().fetch(request);
    }

    alarm() {
      return this.#rust().alarm();
    }

    webSocketMessage(ws, message) {
      return this.#rust().webSocketMessage(ws, message);
    }

    webSocketClose(ws, code, reason, wasClean) {
      return this.#rust().webSocketClose(ws, code, reason, wasClean);
    }

    webSocketError(ws, error) {
      return this.#rust().webSocketError(ws, error);
    }
  };
}

export const StreamStatus = durableObject(glue.StreamStatus);
export const AlertHub = durableObject(glue.AlertHub);

export default {
  fetch(request, env, ctx) {
    return glue.handleFetch(request, env, ctx);
  },
};
