// Shared setup for the miniflare specs: the real built worker (build/index.js + the optimized
// build/index_bg.wasm) as wrangler.toml declares it (local KV, SQLite-backed Durable Objects,
// Analytics Engine, the board's static assets), plus request helpers.
import assert from "node:assert/strict";
import { after } from "node:test";
import { Miniflare } from "miniflare";
import { createHmac } from "node:crypto";
import { readFileSync, readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";
import { checkWorkerResponse, messageProblems, stats } from "./openapi-check.mjs";
import { wranglerWorker } from "../scripts/miniflare-options.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

// Every answer the specs get through `call` (and so `api`, `send`, `streamState`) is checked
// against board/openapi.json (tests/openapi-check.mjs): an undocumented route, method or status,
// or a body that does not match, fails the spec that received it. Live-feed messages cannot throw
// into a spec: one that does not match fails the file here.
after((t) => {
  t.diagnostic(`openapi: ${stats.responses} responses validated` + (stats.messages ? ` (and ${stats.messages} live-feed messages)` : ""));
  if (messageProblems.length) throw new Error(messageProblems.map((e) => e.message).join("\n"));
});

export const SECRETS = {
  CF_WEBHOOK_SECRET: "test-cf-secret",
  // base64 of "livehook-fastpix-test-key"
  FASTPIX_WEBHOOK_SECRET: "bGl2ZWhvb2stZmFzdHBpeC10ZXN0LWtleQ==",
  GCORE_WEBHOOK_TOKEN: "test-gcore-token",
  STATUS_API_TOKEN: "test-api-token",
  CF_STREAM_WEBHOOK_SECRET: "test-cf-stream-secret",
  IVS_WEBHOOK_TOKEN: "test-ivs-token",
  MUX_WEBHOOK_SECRET: "test-mux-secret",
  LIVEPEER_WEBHOOK_SECRET: "test-livepeer-secret",
  SRS_WEBHOOK_TOKEN: "test-srs-token",
  MEDIAMTX_WEBHOOK_TOKEN: "test-mediamtx-token",
  NGINX_RTMP_WEBHOOK_TOKEN: "test-nginx-rtmp-token",
  OME_WEBHOOK_SECRET: "livehook-ome-test-secret",
};
export const FASTPIX_KEY = Buffer.from(SECRETS.FASTPIX_WEBHOOK_SECRET, "base64");
export const GCORE_IP = "92.223.123.10";
export const STREAM_KEY_SENTINELS = ["fpx-live-sk-DO-NOT-LEAK", "81ta-sr0p-hrpr-t5tt-6bed", "DuM8W004MoZY", "FAKE-DO-NOT-LEAK", "SECRET-DO-NOT-LEAK"];

/** Settings that make the alert fan-out testable in seconds (loopback receivers, short schedule). */
export const FAST_ALERTS = {
  ALERT_ALLOW_LOOPBACK: "true",
  ALERT_RETRY_SCHEDULE: "0,300ms,300ms,300ms",
  ALERT_ATTEMPT_TIMEOUT: "1s",
  ALERT_DEDUPE_SECONDS: "2",
};

/**
 * The JavaScript worker with livehook's design (bench/same-guarantees/, the "JS, same
 * guarantees" competitor of `npm run bench`): its ES modules as miniflare loads them. Same
 * bindings, Durable Object classes and KV namespace as livehook; no static assets (no board).
 */
export const SAME_GUARANTEES = {
  modules: true,
  scriptPath: path.join(root, "bench/same-guarantees/worker.js"),
  modulesRoot: path.join(root, "bench/same-guarantees"),
  // Its imports are `.js` ES modules (miniflare would take `.js` for CommonJS).
  modulesRules: [{ type: "ESModule", include: ["**/*.js"] }],
};

/** The bindings `faults: true` puts stand-ins in front of, by entry point of tests/fault-bindings.js. */
const FAULT_ENTRYPOINTS = { STREAM_STATUS: "kv", STREAMS: "streams", ALERT_HUB: "hub" };

/**
/**
 * Starts the real built worker as wrangler.toml declares it (scripts/miniflare-options.mjs: its
 * compatibility date, vars, KV, Durable Objects, Analytics Engine and static assets), with
 * `bindings` (the test secrets) and `vars` on top. `faults: true` puts test-only stand-ins
 * (tests/fault-bindings.js) between the worker and its KV namespace and Durable Object
 * namespaces; `w.fault(name, mode)` then makes those calls fail (see that file) until
 * `w.fault(name, null)`. `design: "same-guarantees"` starts the JavaScript worker with livehook's
 * design instead (SAME_GUARANTEES), with the same bindings, KV and Durable Objects (not with
 * `faults`). `config` reads another wrangler.toml (tests/wrangler-options.test.mjs). `build` is
 * another folder of the built worker than wrangler.toml's (`build/test-traps` for the variant
 * that can be made to panic: scripts/build.sh --test-traps). `dispose` fails if the worker
 * panicked, unless `allowPanics`.
 */
export async function startWorker({ bindings = SECRETS, vars = {}, persist, faults = false, port, design = "livehook", config, build: buildDir, allowPanics = false } = {}) {
  const logs = [];
  const declared = wranglerWorker(config);
  const build = buildDir ? path.resolve(root, buildDir) : path.dirname(declared.main);
  const livehook = {
    ...declared.options,
    name: declared.name,
    modulesRoot: build,
    modules: [
      { type: "ESModule", path: path.join(build, "index.js") },
      { type: "CompiledWasm", path: path.join(build, "index_bg.wasm") },
    ],
    bindings: { ...declared.options.bindings, ...bindings, ...vars },
    cf: false,
  };
  if (design === "same-guarantees") {
    if (faults) throw new Error("startWorker: `faults` needs livehook's build, not the same-guarantees design");
    delete livehook.modules;
    delete livehook.assets;
    Object.assign(livehook, SAME_GUARANTEES);
  } else if (design !== "livehook") {
    throw new Error(`startWorker: unknown design ${design}`);
  }
  const workers = [livehook];
  if (faults) {
    // The classes stay in the worker under other names; the bindings it uses are the stand-ins.
    const { kvNamespaces, durableObjects } = declared.options;
    const kv = kvNamespaces.STREAM_STATUS;
    const [streams, hub] = [durableObjects.STREAMS, durableObjects.ALERT_HUB];
    if (!kv || !streams || !hub) throw new Error("startWorker: `faults` stands in for STREAM_STATUS, STREAMS and ALERT_HUB, which wrangler.toml must declare");
    livehook.kvNamespaces = Object.fromEntries(Object.entries(kvNamespaces).filter(([name]) => !FAULT_ENTRYPOINTS[name]));
    livehook.durableObjects = Object.fromEntries(
      Object.entries(durableObjects).map(([name, o]) => [FAULT_ENTRYPOINTS[name] ? `REAL_${name}` : name, o]),
    );
    livehook.wrappedBindings = {
      ...livehook.wrappedBindings,
      ...Object.fromEntries(Object.entries(FAULT_ENTRYPOINTS).map(([name, entrypoint]) => [name, { scriptName: "faults", entrypoint }])),
    };
    workers.push({
      // A wrapped binding runs with the compatibility date of the worker that has the binding.
      name: "faults",
      modules: [{ type: "ESModule", path: path.join(root, "tests/fault-bindings.js") }],
      kvNamespaces: { INNER_KV: kv, FAULTS: { id: "faults" } },
      durableObjects: {
        INNER_STREAMS: { ...streams, scriptName: declared.name },
        INNER_HUB: { ...hub, scriptName: declared.name },
      },
    });
  }
  const mf = new Miniflare({
    workers,
    // `port` (0 for any) also serves it on 127.0.0.1 for a browser; `url` says where.
    ...(port !== undefined ? { host: "127.0.0.1", port } : {}),
    ...(persist ? { durableObjectsPersist: persist, kvPersist: persist } : {}),
    handleRuntimeStdio(stdout, stderr) {
      for (const s of [stdout, stderr]) s.on("data", (d) => logs.push(String(d)));
    },
  });
  const url = await mf.ready;
  const kv = faults ? await mf.getKVNamespace("INNER_KV", "faults") : await mf.getKVNamespace("STREAM_STATUS");
  const faultKv = faults ? await mf.getKVNamespace("FAULTS", "faults") : null;
  const call = async (p, init = {}) => {
    const res = await mf.dispatchFetch(`http://localhost${p}`, init);
    await checkWorkerResponse(init.method ?? "GET", p, res);
    return res;
  };
  return {
    mf,
    url,
    kv,
    logs,
    call,
    /** The worker's Miniflare options (livehook's, or the design's). */
    options: livehook,
    /** Switches a fault on ("before" | "after") or off (null). Needs `faults: true`. */
    async fault(name, mode) {
      if (mode) await faultKv.put(`fault:${name}`, mode);
      else await faultKv.delete(`fault:${name}`);
    },
    /** An authenticated API call: `api(path)` or `api(path, { method, body })`. */
    async api(p, { method = "GET", body, headers = {} } = {}) {
      const init = { method, headers: { Authorization: `Bearer ${SECRETS.STATUS_API_TOKEN}`, ...headers } };
      if (body !== undefined) init.body = typeof body === "string" ? body : JSON.stringify(body);
      const res = await call(p, init);
      const text = await res.text();
      let json;
      try { json = JSON.parse(text); } catch { json = text; }
      return { status: res.status, body: json, text };
    },
    async kvKeys() {
      return (await kv.list()).keys.map((k) => k.name);
    },
    async record(key) {
      return kv.get(key, "json");
    },
    /** A stream object's own state (`provider:kind:id`), through the public diagnostics route. */
    async streamState(name) {
      const [provider, kind, ...rest] = name.split(":");
      const id = encodeURIComponent(rest.join(":"));
      const r = await this.api(`/streams/${provider}/${id}/diagnostics?kind=${kind}`);
      assert.equal(r.status, 200, r.text);
      return r.body.state;
    },
    /** Stops the worker, then checks that every line it printed was one JSON log object. */
    async dispose() {
      await mf.dispose();
      for (const line of logLines(logs)) assert.equal(typeof line.msg, "string", JSON.stringify(line));
      if (!allowPanics) assert.deepEqual(panics(logs), [], "the worker panicked");
    },
  };
}

/** Runs every cleanup (last first) even if one fails, then throws the first failure. */
export async function runCleanups(cleanups) {
  let first;
  while (cleanups.length) {
    try {
      await cleanups.pop()();
    } catch (e) {
      first ??= e;
    }
  }
  if (first) throw first;
}

/** workerd's own diagnostics (`workerd/io/…: warning: …`), printed beside the worker's lines. */
const RUNTIME_LINE = /^(workerd|kj)\/[^:\s]+:\d+: /;

/** A panic as the panic hook (console_error_panic_hook) logs it: message, then the JS stack. */
const PANIC_ENTRY = /panicked at [^\n]*\n[\s\S]*?\n\nStack:\n\n[\s\S]*?\n\n/g;

/** Every panic the worker logged (each the whole entry: location, message, stack). */
export function panics(logs) {
  return logs.join("").match(PANIC_ENTRY) ?? [];
}

/**
 * Every line the worker printed, parsed: throws on a line that is not one JSON object. The
 * runtime's own diagnostic lines are not the worker's and are left out, and so are panics
 * (see `panics`), which only tests/traps.test.mjs causes.
 */
export function logLines(logs) {
  return logs
    .join("")
    .replace(PANIC_ENTRY, "")
    .split("\n")
    .filter((l) => l.trim() !== "" && !RUNTIME_LINE.test(l))
    .map((l) => {
      let v;
      try {
        v = JSON.parse(l);
      } catch {
        throw new Error(`the worker printed a line that is not JSON: ${l}`);
      }
      assert.ok(v && typeof v === "object" && !Array.isArray(v), `not a JSON object: ${l}`);
      return v;
    });
}

export function fixture(provider, name) {
  return readFileSync(path.join(root, "tests/fixtures", provider, name));
}

export function fixtureNames(provider) {
  return readdirSync(path.join(root, "tests/fixtures", provider)).sort();
}

export function fastpixSignature(body, key = FASTPIX_KEY) {
  return createHmac("sha256", key).update(body).digest("base64");
}

export function cloudflare(body, secret = SECRETS.CF_WEBHOOK_SECRET) {
  const headers = { "Content-Type": "application/json" };
  if (secret !== null) headers["cf-webhook-auth"] = secret;
  return ["/webhooks/cloudflare", { method: "POST", headers, body }];
}

export function fastpix(body, signature = fastpixSignature(body)) {
  const headers = { "Content-Type": "application/json" };
  if (signature !== null) headers["FastPix-Signature"] = signature;
  return ["/webhooks/fastpix", { method: "POST", headers, body }];
}

export function gcore(body, { token = SECRETS.GCORE_WEBHOOK_TOKEN, ip = GCORE_IP } = {}) {
  const headers = { "Content-Type": "application/json" };
  if (ip !== null) headers["CF-Connecting-IP"] = ip;
  return [`/webhooks/gcore/${token}`, { method: "POST", headers, body }];
}

/** An SRS `http_hooks` call, as SRS sends it (the token is the hook URL's last segment). */
export function srs(body, { token = SECRETS.SRS_WEBHOOK_TOKEN } = {}) {
  const headers = { "Content-Type": "application/json", "User-Agent": "SRS/6.0.157(Hang)", Connection: "Keep-Alive" };
  return [`/webhooks/srs/${token}`, { method: "POST", headers, body }];
}

/** An nginx-rtmp notify call, with the headers nginx-rtmp sends (tests/fixtures/nginx-rtmp/headers.jsonl). */
export function nginxRtmp(body, { token = SECRETS.NGINX_RTMP_WEBHOOK_TOKEN } = {}) {
  const headers = { "Content-Type": "application/x-www-form-urlencoded", Connection: "Close" };
  return [`/webhooks/nginx-rtmp/${token}`, { method: "POST", headers, body }];
}

/** A MediaMTX path event, as the recipe's curl sends it (the token is the URL's last segment). */
export function mediamtx(body, { token = SECRETS.MEDIAMTX_WEBHOOK_TOKEN } = {}) {
  const headers = { "Content-Type": "application/json", "User-Agent": "curl/8.5.0", Accept: "*/*" };
  return [`/webhooks/mediamtx/${token}`, { method: "POST", headers, body }];
}

/** An OvenMediaEngine admission webhook, signed as OvenMediaEngine signs it (`secret: null`: unsigned). */
export function ome(body, { secret = SECRETS.OME_WEBHOOK_SECRET } = {}) {
  const headers = { "Content-Type": "application/json", "User-Agent": "OvenMediaEngine", Accept: "application/json" };
  if (secret !== null) headers["X-OME-Signature"] = createHmac("sha1", secret).update(body).digest("base64url");
  return ["/webhooks/ovenmediaengine", { method: "POST", headers, body }];
}

/** A Cloudflare Stream video webhook, signed at `time` (seconds; default now). */
export function cfStream(body, { secret = SECRETS.CF_STREAM_WEBHOOK_SECRET, time = Math.floor(Date.now() / 1000) } = {}) {
  const headers = { "Content-Type": "application/json" };
  if (secret !== null) {
    const sig = createHmac("sha256", secret).update(`${time}.`).update(body).digest("hex");
    headers["Webhook-Signature"] = `time=${time},sig1=${sig}`;
  }
  return ["/webhooks/cloudflare-stream", { method: "POST", headers, body }];
}

/** An Amazon IVS event as an EventBridge API destination sends it. */
export function ivs(body, { token = SECRETS.IVS_WEBHOOK_TOKEN } = {}) {
  const headers = { "Content-Type": "application/json; charset=utf-8", "User-Agent": "Amazon/EventBridge/ApiDestinations" };
  if (token !== null) headers["x-api-key"] = token;
  return ["/webhooks/ivs", { method: "POST", headers, body }];
}

/** A Mux webhook, signed at `time` (seconds; default now). */
export function mux(body, { secret = SECRETS.MUX_WEBHOOK_SECRET, time = Math.floor(Date.now() / 1000) } = {}) {
  const headers = { "Content-Type": "application/json" };
  if (secret !== null) {
    const sig = createHmac("sha256", secret).update(`${time}.`).update(body).digest("hex");
    headers["Mux-Signature"] = `t=${time},v1=${sig}`;
  }
  return ["/webhooks/mux", { method: "POST", headers, body }];
}

/**
 * A Livepeer Studio webhook as Studio sends it: the body's `timestamp` set to the send time
 * (`sentAt`, ms; default now), signed over the body.
 */
export function livepeer(body, { secret = SECRETS.LIVEPEER_WEBHOOK_SECRET, sentAt = Date.now() } = {}) {
  const sent = JSON.stringify({ ...JSON.parse(body), timestamp: sentAt });
  const headers = { "Content-Type": "application/json", "User-Agent": "livepeer.studio" };
  if (secret !== null) {
    headers["Livepeer-Signature"] = `t=${sentAt},v1=${createHmac("sha256", secret).update(sent).digest("hex")}`;
  }
  return ["/webhooks/livepeer", { method: "POST", headers, body: sent }];
}

export async function send(w, [p, init]) {
  const res = await w.call(p, init);
  const text = await res.text();
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: res.status, body, text, headers: res.headers };
}

/** Polls `fn` until it returns a truthy value or `ms` pass (KV writes coalesced by an alarm). */
export async function eventually(fn, ms = 5000) {
  const end = Date.now() + ms;
  let last;
  while (Date.now() < end) {
    last = await fn();
    if (last) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  return last;
}

/** A FastPix `video.live_stream.{type}` event for `stream` at `second` past 2025-01-01T00:00Z. */
export function fpEvent(stream, type, second, id = `${stream}-${type}-${second}`) {
  return JSON.stringify({
    type: `video.live_stream.${type}`,
    webhookId: id,
    object: { name: "live", id: stream },
    data: { streamId: stream, status: type === "active" ? "active" : "idle", streamKey: "fpx-live-sk-DO-NOT-LEAK-x" },
    created_at: new Date(Date.UTC(2025, 0, 1, 0, 0, second)).toISOString(),
  });
}

/** A Cloudflare `live_input.errored` notification for `input`, with `code`, at `at` (RFC 3339). */
export function cfErrored({ input = "a1b2c3d4e5f60718293a4b5c6d7e8f90", code = "ERR_GOP_OUT_OF_RANGE", at = new Date().toISOString(), message = "Keyframe interval too long" } = {}) {
  return JSON.stringify({
    name: "Stream Live alerts",
    text: `Input ID: ${input}`,
    data: {
      notification_name: "Stream Live Input",
      input_id: input,
      event_type: "live_input.errored",
      updated_at: at,
      live_input_errored: { error: { code, message }, video_codec: "", audio_codec: "" },
    },
    ts: Math.floor(Date.parse(at) / 1000),
  });
}

/** A Cloudflare `live_input.disconnected` notification. */
export function cfDisconnected({ input = "a1b2c3d4e5f60718293a4b5c6d7e8f90", at = new Date().toISOString() } = {}) {
  return JSON.stringify({
    name: "Stream Live alerts",
    text: `Input ID: ${input}`,
    data: { notification_name: "Stream Live Input", input_id: input, event_type: "live_input.disconnected", updated_at: at },
    ts: Math.floor(Date.parse(at) / 1000),
  });
}

/** A Cloudflare `live_input.connected` notification. */
export function cfConnected({ input = "a1b2c3d4e5f60718293a4b5c6d7e8f90", at = new Date().toISOString() } = {}) {
  return JSON.stringify({
    name: "Stream Live alerts",
    text: `Input ID: ${input}`,
    data: { notification_name: "Stream Live Input", input_id: input, event_type: "live_input.connected", updated_at: at },
    ts: Math.floor(Date.parse(at) / 1000),
  });
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
