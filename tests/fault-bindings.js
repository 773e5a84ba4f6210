// Test-only stand-ins for livehook's bindings (miniflare "wrapped bindings", run inside the
// worker's own isolate): STREAM_STATUS (KV), STREAMS and ALERT_HUB (Durable Object namespaces).
// Each forwards to the real binding unless the test switched a fault on by writing
// `fault:<name>` = "before" | "after" into the FAULTS KV namespace:
//   before: the call throws without reaching the real binding (a write that never happened);
//   after:  the call reaches it, then throws (the write happened, the answer was lost).
// Names: kv.put, kv.get, kv.list, streams.call, hub.call.

async function faulty(env, name, call) {
  const mode = await env.FAULTS.get(`fault:${name}`);
  if (mode === "before") throw new Error(`injected fault: ${name}`);
  const result = await call();
  if (mode === "after") throw new Error(`injected fault (after the call): ${name}`);
  return result;
}

export function kv(env) {
  const inner = env.INNER_KV;
  return {
    get: (...a) => faulty(env, "kv.get", () => inner.get(...a)),
    getWithMetadata: (...a) => faulty(env, "kv.get", () => inner.getWithMetadata(...a)),
    put: (...a) => faulty(env, "kv.put", () => inner.put(...a)),
    list: (...a) => faulty(env, "kv.list", () => inner.list(...a)),
    delete: (...a) => faulty(env, "kv.put", () => inner.delete(...a)),
  };
}

// workers-rs checks the binding's constructor name.
class DurableObjectNamespace {
  constructor(env, inner, name) {
    this.env = env;
    this.inner = inner;
    this.name = name;
  }
  idFromName(n) {
    return this.inner.idFromName(n);
  }
  getByName(n) {
    return this.#stub(this.inner.getByName(n));
  }
  get(id) {
    return this.#stub(this.inner.get(id));
  }
  /** A stub whose calls (the objects' `rpc`, and `fetch`) can fail. */
  #stub(stub) {
    return {
      rpc: (...a) => faulty(this.env, this.name, () => stub.rpc(...a)),
      fetch: (...a) => faulty(this.env, this.name, () => stub.fetch(...a)),
    };
  }
}

export function streams(env) {
  return new DurableObjectNamespace(env, env.INNER_STREAMS, "streams.call");
}

export function hub(env) {
  return new DurableObjectNamespace(env, env.INNER_HUB, "hub.call");
}
