// Small runtime calls the Rust shell makes through one crossing each (src/platform/runtime.rs
// binds them). Each replaces several calls from Wasm into JS: a body read chunk by chunk, a
// Response and its Headers set one by one, a storage or KV object built with one Reflect.set per
// field. Nothing here decides anything: it only moves bytes.

/**
 * The request's body, at most `limit` bytes: a Uint8Array, or null if it is larger. A declared
 * Content-Length within the limit is read in one call (the runtime delivers no more than it
 * declares); a body without one is read chunk by chunk, and kept only up to the limit.
 */
export async function readBody(request, limit) {
  const declared = request.headers.get("content-length");
  if (declared !== null && Number(declared) > limit) return null;
  if (request.body === null) return new Uint8Array(0);
  if (declared !== null && /^\s*\d+\s*$/.test(declared)) {
    const bytes = new Uint8Array(await request.arrayBuffer());
    return bytes.byteLength > limit ? null : bytes;
  }
  const reader = request.body.getReader();
  const chunks = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      // Too large: the rest is read and dropped, so the sender gets the 413 rather than a reset
      // connection, up to 16 times the limit; beyond that, the upload is cut.
      while (size <= 16 * limit) {
        const next = await reader.read();
        if (next.done) return null;
        size += next.value.byteLength;
      }
      await reader.cancel();
      return null;
    }
    chunks.push(value);
  }
  if (chunks.length === 1) return chunks[0];
  const body = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    body.set(c, at);
    at += c.byteLength;
  }
  return body;
}

/** A JSON answer that no cache keeps; `allow` (for a 405) when not empty. */
export function jsonResponse(status, body, allow) {
  const headers = { "content-type": "application/json", "cache-control": "no-store" };
  if (allow) headers.allow = allow;
  return new Response(body, { status, headers });
}

/** Durable Object storage: the values at two keys (undefined where none), in one read. */
export async function storageGet2(storage, key, key2) {
  const found = await storage.get([key, key2]);
  return [found.get(key), found.get(key2)];
}

/** Durable Object storage: up to three keys in one atomic put (a pair whose key is undefined is
 * left out). */
export function storagePut(storage, key, value, key2, value2, key3, value3) {
  if (key2 === undefined) return storage.put(key, value);
  const entries = { [key]: value, [key2]: value2 };
  if (key3 !== undefined) entries[key3] = value3;
  return storage.put(entries);
}

/** Workers KV: `value` at `key` with the record's metadata (`state`, `kind`). */
export function kvPutRecord(namespace, key, value, state, kind) {
  return namespace.put(key, value, { metadata: { state, kind } });
}
