// "JS, same guarantees": the JavaScript competitor of livehook in `npm run bench`. It is
// livehook's design written as idiomatic JavaScript (ES modules, no framework, no build step):
// the same routes, authentication per provider (WebCrypto, keys imported once per isolate),
// normalization and JSON answers; one Durable Object per stream (`StreamStatus`, named
// `{provider}:{kind}:{id}`) with the same ordering, de-duplication, one storage write per event,
// KV write coalescing (`status:{provider}:{kind}:{id}`, same record and metadata) and alert
// outbox; and the same alert hub (`AlertHub`) the outbox hands alerts to. It shares livehook's
// bindings (STREAMS, ALERT_HUB, STREAM_STATUS), secrets, storage formats and the miniflare specs
// that apply to it (tests/same-guarantees.test.mjs), so the benchmark compares like with like;
// it does not serve the board, `/healthz`, `GET /streams`, subscriptions or alert delivery.
//
// Routes: POST /webhooks/{cloudflare|cloudflare-stream|fastpix|gcore/{token}|ivs|livepeer|mux};
// with `Authorization: Bearer <STATUS_API_TOKEN>`: GET /streams/{provider}/{id}[/events|/diagnostics]
// (`?kind=`), GET /alerts (`?limit=`, `?delivery=`, `?stream=`). Anything else is a 404.
import { either, expectSecret, invalid, missing, notConfigured, setting } from "./auth.js";
import { KINDS, bound, validStreamId } from "./event.js";
import { ApiError, badRequest, errorResponse, json, log, methodNotAllowed, notFound, readBody, stringify, unavailable } from "./http.js";
import { PROVIDER_IDS, providerByRoute } from "./providers/index.js";
import { readJson } from "./providers/shape.js";
import { msToNanos } from "./time.js";
import { hub } from "./hub.js";

export { StreamStatus } from "./stream.js";
export { AlertHub } from "./hub.js";

export default {
  async fetch(request, env) {
    const started = Date.now();
    const url = new URL(request.url);
    try {
      return await route(request, env, url, url.pathname.slice(1).split("/"), started);
    } catch (e) {
      return errorResponse(e instanceof ApiError ? e : internal(e));
    }
  },
};

function internal(e) {
  log.error("internal call failed", { error: String(e?.stack ?? e) });
  return unavailable();
}

/** The one route table: the path (404), then the method (405), then the bearer token (401). */
async function route(request, env, url, segments, started) {
  const [first, a, b, c, ...rest] = segments;
  const method = request.method;
  if (first === "webhooks" && a !== undefined && c === undefined) {
    const provider = providerByRoute(a);
    if (!provider || (provider.tokenInPath ? b === undefined : b !== undefined)) throw notFound();
    if (method !== "POST") throw methodNotAllowed("POST");
    return receiveWebhook(request, env, provider, b, started);
  }
  const get = async () => {
    if (method !== "GET" && method !== "HEAD") throw methodNotAllowed("GET");
    await authorize(request, env);
  };
  if (first === "streams" && a !== undefined && b !== undefined && rest.length === 0) {
    if (c === undefined) {
      await get();
      return readStream(env, url, a, b, (s) => s.record(), json);
    }
    if (c === "events") {
      await get();
      const limit = param(url, "limit", (v) => (/^\d+$/.test(v) && +v >= 1 && +v <= 100 ? +v : undefined)) ?? 50;
      return readStream(env, url, a, b, (s) => s.history(limit), (status, events) => json(status, { events }));
    }
    if (c === "diagnostics") {
      await get();
      return readStream(env, url, a, b, (s) => s.inspect(), (status, x) => json(status, stringify(x)));
    }
  }
  if (first === "alerts" && a === undefined) {
    await get();
    const limit = param(url, "limit", (v) => (/^\d+$/.test(v) && +v >= 1 && +v <= 200 ? +v : undefined)) ?? 50;
    const delivery = param(url, "delivery", (v) => (v === "dead" || v === "pending" ? v : undefined));
    const stream = param(url, "stream", (v) => {
      const [provider, kind, ...id] = v.split(":");
      return /^[a-z0-9_-]{1,23}$/.test(provider) && KINDS.includes(kind) && validStreamId(id.join(":")) ? v : undefined;
    });
    return json(200, await callObject(() => hub(env).listAlerts({ limit, delivery, stream })));
  }
  throw notFound();
}

/** Query parameter `name` parsed by `parse`: absent is `undefined`, present but invalid a 400. */
function param(url, name, parse) {
  const v = url.searchParams.get(name);
  if (v === null) return undefined;
  const parsed = parse(v);
  if (parsed === undefined) throw badRequest(`invalid \`${name}\``);
  return parsed;
}

/** The API's bearer check: `Authorization: Bearer <STATUS_API_TOKEN>` (or its `_NEXT` value). */
function authorize(request, env) {
  return either(env, ["STATUS_API_TOKEN"], async (next) => {
    const token = setting(env, "STATUS_API_TOKEN", next);
    if (!token) throw notConfigured("STATUS_API_TOKEN");
    const header = request.headers.get("Authorization");
    if (header === null) throw missing("Authorization header");
    const m = /^[Bb]earer (.*)$/s.exec(header);
    if (!m) throw invalid("Authorization header");
    await expectSecret(m[1].trim(), token, "bearer token");
  });
}

/** Calls an object; any failure of the call is a 503 the client may retry. */
async function callObject(call) {
  try {
    return await call();
  } catch (e) {
    throw internal(e);
  }
}

function decodeSegment(s) {
  try {
    return decodeURIComponent(s.replaceAll("+", " "));
  } catch {
    return s;
  }
}

/** Asks the stream `/streams/{provider}/{id}` (`?kind=`, default `live_input`) names; 404 if unknown. */
async function readStream(env, url, provider, rawId, ask, answer) {
  const kind = param(url, "kind", (v) => (KINDS.includes(v) ? v : undefined)) ?? "live_input";
  const id = decodeSegment(rawId);
  if (!PROVIDER_IDS.has(provider) || !validStreamId(id)) throw notFound("stream");
  const stub = env.STREAMS.get(env.STREAMS.idFromName(`${provider}:${kind}:${id}`));
  const result = await callObject(() => ask(stub));
  if (result === null) throw notFound("stream");
  return answer(200, result);
}

// ---- webhooks ----

/** One webhook: handled, counted, and logged as one JSON line (never a secret). */
async function receiveWebhook(request, env, provider, pathToken, started) {
  const line = { stream: null, event: null, outcome: "" };
  let response;
  try {
    response = await handleWebhook(request, env, provider, pathToken, line);
  } catch (e) {
    const err = e instanceof ApiError ? e : internal(e);
    line.outcome ||= err.code;
    response = errorResponse(err);
  }
  const status = response.status;
  const label = status < 300 ? line.outcome : `${status >= 500 ? "failed" : "rejected"}:${line.outcome}`;
  env.WEBHOOK_TRAFFIC?.writeDataPoint({ indexes: [provider.route], blobs: [provider.route, label], doubles: [1] });
  log.info("webhook", { provider: provider.route, stream: line.stream, event: line.event, outcome: line.outcome, status, latency_ms: Date.now() - started });
  return response;
}

/** Checks one stage of the provider's authentication, accepting a rotated credential's next value. */
const authenticate = (provider, stage, req) => provider[stage] && either(req.env, provider.secrets, (next) => provider[stage]({ ...req, next }));

async function handleWebhook(request, env, provider, pathToken, line) {
  const req = { env, headers: request.headers, pathToken, nowS: Math.floor(Date.now() / 1000) };
  // Headers first, so an unauthenticated sender's body is never buffered where the scheme allows.
  await authenticate(provider, "authenticateHeaders", req);
  req.body = await readBody(request);
  if (provider.isProbe?.(req)) return test(line);
  await authenticate(provider, "authenticateBody", req);
  const receivedAtMs = Date.now();
  const parsed = provider.parse(readJson(req.body), msToNanos(receivedAtMs));
  if (parsed.test) return test(line);
  if (parsed.ignored) {
    const { eventType, reason, stream } = parsed.ignored;
    line.outcome = "ignored";
    line.event = eventType ?? null;
    if (stream) {
      // The stream's history records it; a failure here does not fail the webhook.
      line.stream = stream.key;
      try {
        await streamObject(env, stream.key).noteIgnored(eventType ?? null, receivedAtMs);
      } catch (e) {
        log.error("history note failed", { error: String(e) });
      }
    }
    return json(200, { ok: true, outcome: "ignored", reason });
  }
  const event = await bound(parsed.event);
  line.stream = event.key;
  line.event = event.eventType;
  const reply = await ingest(env, event, receivedAtMs);
  line.outcome = reply.outcome;
  // A full alert backlog (the hub is down): not stored, the provider must retry.
  if (reply.outcome === "deferred") throw unavailable();
  if (parsed.also) {
    // The other stream's part (a live input's latest recording): if it cannot be stored, the
    // provider's retry stores it (the first part is then a duplicate).
    const linked = await ingest(env, await bound(parsed.also), receivedAtMs);
    if (linked.outcome === "deferred") throw unavailable();
  }
  return json(200, { alert_queued: reply.alert_queued, ok: true, outcome: reply.outcome, stream: event.key });
}

function test(line) {
  line.outcome = "test";
  return json(200, { ok: true, outcome: "test" });
}

const streamObject = (env, key) => env.STREAMS.get(env.STREAMS.idFromName(key));

/** Hands one event to its stream's object. */
const ingest = (env, event, receivedAtMs) => callObject(() => streamObject(env, event.key).ingest(event, receivedAtMs));
