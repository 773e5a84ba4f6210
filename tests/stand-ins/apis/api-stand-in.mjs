// What the six provider-API stand-ins share: a local HTTP server on 127.0.0.1 that answers one
// provider's read API from a list of live inputs the spec scripts (`setStreams`), checks every
// request against the provider's documented shape (method, path, query, authorization, body),
// records what is wrong in `problems` (a spec asserts it stays empty), and answers as the
// provider does: its page, its own error for a request it refuses, or what the spec scripts with
// `respond`: a status (with `Retry-After` for a 429), an answer that never comes (`hang`), or a
// 200 whose body is not the documented JSON (`garbage`).
//
// Credentials never reach `requests` or `problems`: the authorization header is kept as its
// scheme followed by `[redacted]`, and problem messages never quote a credential.
//
// A small server of its own rather than tests/receiver.mjs: a hanging answer stays open until
// `close()` without a timer that would hold the test process, and the receiver keeps every
// header as received.
import http from "node:http";

/** Authorization schemes a problem message may name (the first word of a header is shown only
 * when it is one of these: anything else could be a bare credential). */
const SCHEMES = ["Basic", "Bearer", "APIKey", "AWS4-HMAC-SHA256", "Token"];

/** The scheme of an authorization header if it is a known one, for messages. */
export function schemeOf(value) {
  const first = String(value ?? "").split(" ")[0];
  return SCHEMES.find((s) => s.toLowerCase() === first.toLowerCase()) ?? "unknown";
}

/** `Basic base64(id:secret)`. */
export const basic = (id, secret) => `Basic ${Buffer.from(`${id}:${secret}`).toString("base64")}`;

/** The problem of an authorization header that is not exactly `expected`, or undefined. */
export function authProblem(headers, expected, shape) {
  const got = headers.authorization;
  if (got === expected) return undefined;
  if (got === undefined) return `no authorization header (expected ${shape})`;
  return `authorization is not ${shape} with the configured credentials (scheme ${schemeOf(got)})`;
}

/**
 * Problems of a request's query against the documented parameters: `params` maps each allowed
 * name to a check (`value => problem | undefined`); names in `required` must be present.
 */
export function queryProblems(req, params, required = []) {
  const found = [];
  const seen = new Set();
  for (const [k, v] of req.pairs) {
    if (!(k in params)) found.push(`query parameter ${k} is not documented for this endpoint`);
    else if (seen.has(k)) found.push(`query parameter ${k} appears twice`);
    else {
      const p = params[k]?.(v);
      if (p) found.push(`query parameter ${k}=${v}: ${p}`);
    }
    seen.add(k);
  }
  for (const k of required) if (!seen.has(k)) found.push(`query parameter ${k} is missing`);
  return found;
}

/** A check for an integer query value in [min, max]. */
export const intIn = (min, max = Infinity) => (v) =>
  /^\d+$/.test(v) && Number(v) >= min && Number(v) <= max ? undefined : `not an integer from ${min}${max === Infinity ? "" : ` to ${max}`}`;

/** A check for a value among `values`. */
export const oneOf = (...values) => (v) => (values.includes(v) ? undefined : `not one of ${values.join(", ")}`);

/**
 * Generates `n` provider-neutral inputs cheaply: `{ id: idOf(i), name: "input i", state }`,
 * `state` a value or `(i) => value` (default `idle`).
 */
export function generate(n, idOf, { state = "idle", name = (i) => `input ${i}` } = {}) {
  const stateOf = typeof state === "function" ? state : () => state;
  const out = new Array(n);
  for (let i = 0; i < n; i++) out[i] = { id: idOf(i), name: name(i), state: stateOf(i) };
  return out;
}

/**
 * Starts a stand-in. The provider module gives:
 * - `name` (for problems: `mux #3: …`) and `basePath`, the documented base URL's path that every
 *   request path starts with (`/client/v4`; `""` for none);
 * - `authorize(req)`: undefined, or `{ problem, status?, kind? }` for wrong credentials (answered
 *   `error(status ?? authStatus, { kind })`);
 * - `handle(req)`: `{ status = 200, body, problems = [], page? }` for a request with good
 *   credentials: `body` the documented answer (any JSON value), `page` `{ number, size, last }` for
 *   a page of the listing (see `rounds`);
 * - `error(status, options)`: the provider's own error answer `{ status, headers?, body }`;
 * - `respond(req, n)`: the spec's script (see `respond` below).
 */
export async function startApiStandIn({ name, basePath = "", authorize, handle, error, authStatus = 401, respond = () => undefined }) {
  const problems = [];
  const requests = [];
  const sockets = new Set();
  const held = new Set();
  const timers = new Set();
  let script = respond;

  function answer(rec, raw) {
    const req = toRequest(rec, raw);
    requests.push(req);
    const auth = authorize(req);
    const result = { status: 200, problems: [], ...handle(req) };
    req.problems = [...(auth ? [auth.problem] : []), ...result.problems];
    req.page = result.page;
    for (const p of req.problems) problems.push(`${name} #${req.n}: ${p}`);
    let s = script(req, req.n);
    if (typeof s === "number") s = { status: s };
    else if (s === "hang" || s === "garbage") s = { [s]: true };
    s ??= {};
    if (Object.keys(s).length) req.scripted = s;
    if (s.hang) return { hang: true };
    let out;
    if (s.garbage) {
      const full = JSON.stringify(result.body ?? null);
      const body = typeof s.garbage === "string" ? s.garbage : full.slice(0, Math.max(1, Math.floor(full.length / 2)));
      out = { status: 200, headers: { "Content-Type": "application/json" }, body };
    } else if (s.status && s.status !== 200) out = error(s.status, s);
    else if (auth) out = error(auth.status ?? authStatus, { kind: auth.kind });
    else if (result.status !== 200) out = error(result.status, result);
    else out = json(200, result.body);
    if (s.retryAfter !== undefined) out.headers = { ...out.headers, "Retry-After": String(s.retryAfter) };
    if (s.headers) out.headers = { ...out.headers, ...s.headers };
    return { ...out, delayMs: s.delayMs };
  }

  const server = http.createServer((r, res) => {
    const chunks = [];
    r.on("data", (c) => chunks.push(c));
    r.on("end", () => {
      const out = answer(r, Buffer.concat(chunks));
      const req = requests[requests.length - 1];
      if (out.hang) {
        req.answered = "hang";
        held.add(res);
        res.on("close", () => held.delete(res));
        return;
      }
      req.answered = out.status;
      const send = () => {
        res.writeHead(out.status, out.headers ?? {});
        res.end(out.body ?? "");
      };
      if (!out.delayMs) return send();
      const t = setTimeout(() => { timers.delete(t); send(); }, out.delayMs);
      timers.add(t);
    });
  });
  server.on("connection", (s) => { sockets.add(s); s.on("close", () => sockets.delete(s)); });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const origin = `http://127.0.0.1:${server.address().port}`;

  function toRequest(r, raw) {
    const url = new URL(r.url, origin);
    const headers = { ...r.headers };
    if (headers.authorization !== undefined) headers.authorization = `${schemeOf(headers.authorization)} [redacted]`;
    if (headers["x-amz-security-token"] !== undefined) headers["x-amz-security-token"] = "[redacted]";
    const path = url.pathname;
    const req = {
      n: requests.length + 1,
      method: r.method,
      /** The request target as received (path and query, not normalized). */
      target: r.url,
      path,
      /** The path below `basePath`, or null when the request is not under it. */
      route: path === basePath || path.startsWith(`${basePath}/`) ? path.slice(basePath.length) || "/" : null,
      search: url.search,
      query: Object.fromEntries(url.searchParams),
      pairs: [...url.searchParams],
      headers,
      body: raw.toString("utf8"),
      at: Date.now(),
    };
    // The raw headers and bytes, for the provider's own checks (signature, authorization): not
    // enumerable, so a spec printing a request prints no credential.
    Object.defineProperty(req, "rawHeaders", { value: r.headers });
    Object.defineProperty(req, "rawHeadersDistinct", { value: r.headersDistinct });
    Object.defineProperty(req, "rawBody", { value: raw });
    return req;
  }

  return {
    origin,
    /** The base URL a spec gives livehook (origin and the documented base path). */
    base: `${origin}${basePath}`,
    /** Every request, in order: `{ n, method, target, path, route, search, query, headers, body, at,
     * problems, page, answered, scripted }` (`answered`: the status sent, or `hang`; `scripted`:
     * what the script asked for, if anything). */
    requests,
    /** Every problem found, as `name #n: what`. */
    problems,
    /** Replaces the script: `(req, n) =>` undefined (the provider's own answer), a status, `"hang"`,
     * `"garbage"`, or `{ status, retryAfter, headers, hang, garbage, delayMs }` (`garbage: true`
     * cuts the documented answer in half; a string is sent as the body). */
    respond(fn) { script = fn; },
    /** The most requests in any window of `windowMs` (optionally only those `filter` keeps). */
    countIn(windowMs, filter = () => true) {
      const at = requests.filter(filter).map((r) => r.at);
      let best = 0;
      for (let i = 0, j = 0; j < at.length; j++) {
        while (at[j] - at[i] >= windowMs) i++;
        best = Math.max(best, j - i + 1);
      }
      return best;
    },
    /** The listing's pages grouped into rounds (a round starts at page 1): `{ pages: [1, 2, …],
     * complete }`, `complete` when its last page was the listing's last. A client that stops
     * early leaves an incomplete round; one that loops shows repeated pages. */
    rounds() {
      const out = [];
      for (const r of requests) {
        if (!r.page || r.answered !== 200 || r.scripted?.garbage) continue;
        if (r.page.number === 1 || out.length === 0) out.push({ pages: [], complete: false, at: r.at });
        const round = out[out.length - 1];
        round.pages.push(r.page.number);
        round.complete = r.page.last;
      }
      return out;
    },
    /** Requests being held open by `hang`. */
    get hanging() { return held.size; },
    async close() {
      for (const t of timers) clearTimeout(t);
      for (const s of sockets) s.destroy();
      held.clear();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** `stand` with `extras` added, getters kept as getters (a provider's own methods). */
export const extend = (stand, extras) => Object.defineProperties(stand, Object.getOwnPropertyDescriptors(extras));

/** Decodes a path segment; undefined when it is not valid percent-encoding. */
export function segment(s) {
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}

/** A JSON answer. */
export const json = (status, body, headers = {}) => ({ status, headers: { "Content-Type": "application/json", ...headers }, body: JSON.stringify(body) });

/**
 * A page-number listing: page `number` (from 1) of `items` at `size` a page, and whether a client
 * asks past the end. `lastNeeded` is the highest page a documented client asks for.
 */
export function pageOf(items, number, size, lastNeeded) {
  const slice = items.slice((number - 1) * size, number * size);
  const problems = number > lastNeeded ? [`page ${number} asked after the listing ended (its last page is ${lastNeeded})`] : [];
  return { slice, problems };
}
