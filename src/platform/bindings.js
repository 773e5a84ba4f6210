// The JavaScript half of src/platform/bindings.rs: what the Rust shell needs from the runtime
// that workers-rs does not offer. Nothing here decides anything.

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
