// The HTTP boundary: the one error type (livehook's `{"error":"<code>","message":"<text>"}`
// bodies, never echoing a secret or a payload value), JSON answers, the bounded body read, the
// API's bearer check, and the one JSON logger.

/** Largest webhook body accepted. */
export const MAX_BODY_BYTES = 64 * 1024;

export class ApiError extends Error {
  constructor(status, code, message, extra = {}) {
    super(message);
    this.status = status;
    this.code = code;
    Object.assign(this, extra);
  }
}

export const notFound = (what) => new ApiError(404, "not_found", what ? `no such ${what}` : "no such route");
export const methodNotAllowed = (allow) => new ApiError(405, "method_not_allowed", `method not allowed (allowed: ${allow})`, { allow });
export const badRequest = (message) => new ApiError(400, "bad_request", message);
export const unavailable = () => new ApiError(503, "unavailable", "temporarily unavailable, retry");
const tooLarge = () => new ApiError(413, "payload_too_large", `body larger than ${MAX_BODY_BYTES} bytes`);

const HEADERS = { "Content-Type": "application/json", "Cache-Control": "no-store" };

/** A JSON answer; `body` may already be JSON text. */
export function json(status, body) {
  return new Response(typeof body === "string" ? body : JSON.stringify(body), { status, headers: HEADERS });
}

export function errorResponse(e) {
  const res = json(e.status, { error: e.code, message: e.message });
  if (e.allow) res.headers.set("Allow", e.allow);
  return res;
}

/** The body, at most MAX_BODY_BYTES (refused on Content-Length, and while streaming without it). */
export async function readBody(request) {
  const declared = request.headers.get("Content-Length");
  if (declared !== null) {
    if (Number(declared.trim()) > MAX_BODY_BYTES) throw tooLarge();
    const body = await request.arrayBuffer();
    if (body.byteLength > MAX_BODY_BYTES) throw tooLarge();
    return body;
  }
  if (!request.body) return new ArrayBuffer(0);
  const chunks = [];
  let size = 0;
  for await (const chunk of request.body) {
    size += chunk.byteLength;
    if (size > MAX_BODY_BYTES) throw tooLarge();
    chunks.push(chunk);
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out.buffer;
}

// ---- logging: every line one JSON object with a `msg` ----

export const log = {
  info: (msg, fields) => console.log(JSON.stringify({ msg, ...fields })),
  error: (msg, fields) => console.error(JSON.stringify({ msg, ...fields })),
};

/** `JSON.stringify` that writes BigInt (nanosecond times) as exact JSON integers. */
export const stringify = (value) => JSON.stringify(value, (_, v) => (typeof v === "bigint" ? JSON.rawJSON(String(v)) : v));
