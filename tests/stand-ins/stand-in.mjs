// What every destination stand-in shares: a local HTTP server on 127.0.0.1 (tests/receiver.mjs)
// that checks each request against the destination's documented shape and limits, records what
// is wrong in `problems` (a spec asserts it stays empty), and answers as the real service does:
// its success answer, its own error answer for a request it would refuse, or a status the spec
// scripts (`respond`) with that service's body for it.
import { startReceiver } from "../receiver.mjs";

/**
 * Starts a stand-in.
 * - `name`: for problem messages (`pagerduty #2: …`).
 * - `path`: the path (with query) a request must be sent to; the spec subscribes `url`.
 * - `check(hit, json)`: the problems of one request (strings); `json` is its parsed body, or
 *   undefined when the body is not JSON (already a problem).
 * - `answer(status, { hit, json, problems, n, options })`: the service's answer for `status`
 *   (`{ status, headers?, body? }`). A request with problems gets `refuse` (the service's own
 *   status for a request it refuses), unless the spec scripted another.
 * - `respond(hit, n)`: the spec's script: undefined (the service's own answer), a status, or
 *   `{ status, ...options }` passed to `answer` (say `{ status: 429, retryAfter: 2 }`).
 * - `maxBytes`: the largest body the service accepts.
 */
export async function startStandIn({ name, path, check, answer, refuse = 400, respond = () => undefined, maxBytes }) {
  const problems = [];
  const requests = [];
  let script = respond;
  const rx = await startReceiver({
    respond(hit, n) {
      const found = [];
      if (hit.method !== "POST") found.push(`method ${hit.method}, not POST`);
      if (hit.path !== path) found.push(`path ${hit.path}, not ${path}`);
      if (!/^application\/json\b/i.test(hit.headers["content-type"] ?? "")) {
        found.push(`content-type ${hit.headers["content-type"]}, not application/json`);
      }
      const bytes = Buffer.byteLength(hit.body);
      if (maxBytes && bytes > maxBytes) found.push(`body of ${bytes} bytes, more than ${maxBytes}`);
      let json;
      try {
        json = JSON.parse(hit.body);
      } catch {
        found.push("body is not JSON");
      }
      if (json !== undefined) found.push(...check(hit, json));
      for (const p of found) problems.push(`${name} #${n}: ${p}`);
      requests.push({ ...hit, json, problems: found });
      let scripted = script(hit, n);
      if (typeof scripted === "number") scripted = { status: scripted };
      const status = scripted?.status ?? (found.length ? refuse : undefined);
      return answer(status, { hit, json, problems: found, n, options: scripted ?? {} });
    },
  });
  return {
    /** Origin of the server (`http://127.0.0.1:PORT`); `url` is what a subscriber points at. */
    origin: rx.url,
    url: `${rx.url}${path}`,
    /** Every request, in order: `{ method, path, headers, body, at, json, problems }`. */
    requests,
    /** Every problem found, as `name #n: what`. */
    problems,
    /** Replaces the script. */
    respond(fn) { script = fn; },
    close: () => rx.close(),
  };
}

/** Type checks that read as sentences in problem messages. */
export const isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);
export const isText = (v) => typeof v === "string" && v.length > 0;
/** Length in characters (code points), as the services count. */
export const chars = (s) => [...s].length;

/** The keys of `obj` that are not in `allowed`. */
export function unknownKeys(obj, allowed) {
  return Object.keys(obj).filter((k) => !allowed.includes(k));
}

/** An absolute http(s) URL. */
export function isHttpUrl(v) {
  if (typeof v !== "string") return false;
  try {
    const u = new URL(v);
    return u.protocol === "https:" || u.protocol === "http:";
  } catch {
    return false;
  }
}

/** ISO 8601 / RFC 3339 date-time with a zone, as PagerDuty's `timestamp`. */
export const isIsoTime = (v) => typeof v === "string" && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:?\d\d)$/.test(v) && !Number.isNaN(Date.parse(v));

/** A JSON answer. */
export const json = (status, body, headers = {}) => ({ status, headers: { "Content-Type": "application/json", ...headers }, body: JSON.stringify(body) });
