// Shared by the `npm run load` scenarios: start (or reuse) `npm run dev`, sign Cloudflare live
// input webhooks, send with bounded concurrency, page through `GET /incidents`, percentiles.
// Uses the values of .dev.vars.example (which sets ALERT_ALLOW_LOOPBACK=true, so subscribers
// may be local 127.0.0.1 receivers).
import { spawn } from "node:child_process";
import { mkdtempSync, openSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const BASE = process.env.LOAD_URL ?? "http://127.0.0.1:8787";
export const CF_SECRET = "local-cf-secret";
export const API = { Authorization: "Bearer local-api-token" };
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
/** Ids unique to this run, so reruns against a reused dev server do not collide. */
export const run = Date.now().toString(36);

/** `--name=value` from the command line, else `fallback` (numbers parsed as numbers). */
export function arg(name, fallback) {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  if (!a) return process.argv.includes(`--${name}`) ? true : fallback;
  const v = a.slice(name.length + 3);
  return typeof fallback === "number" ? Number(v) : v;
}

async function up() {
  try {
    return (await fetch(`${BASE}/healthz`)).ok;
  } catch {
    return false;
  }
}

/**
 * Reuses a dev server already answering on BASE, else starts `npm run dev` there. A server
 * started here keeps its KV and Durable Objects in a fresh directory (removed by `stop`), so a
 * scenario's counts are its own; `--keep-state` uses the worktree's `.wrangler/state` instead.
 */
export async function ensureDev() {
  if (await up()) {
    console.error(`load: reusing the dev server on ${BASE}`);
    return { started: false, async stop() {} };
  }
  const keep = arg("keep-state", false) === true;
  const dir = keep ? null : mkdtempSync(path.join(os.tmpdir(), "livehook-load-"));
  console.error(`load: starting npm run dev on ${BASE}${dir ? ` (state in ${dir})` : ""} …`);
  const args = ["scripts/dev.sh", ...(dir ? ["--persist-to", dir] : [])];
  // The server's output (its log lines name a failed internal call) stays for reading afterwards.
  const log = path.join(os.tmpdir(), `livehook-load-${run}.log`);
  const out = openSync(log, "a");
  const dev = spawn("bash", args, { cwd: root, env: { ...process.env, PORT: new URL(BASE).port }, stdio: ["ignore", out, out], detached: true });
  const end = Date.now() + 600_000;
  while (!(await up())) {
    if (Date.now() > end) throw new Error("npm run dev did not come up in 10 minutes");
    if (dev.exitCode !== null) throw new Error(`npm run dev exited with ${dev.exitCode}`);
    await sleep(1000);
  }
  return {
    started: true,
    log,
    /** Stops the server started here (its process group) and removes its state directory. */
    async stop() {
      try {
        process.kill(-dev.pid, "SIGTERM");
      } catch {}
      if (dir) {
        await sleep(2000);
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

export const CODES = ["ERR_GOP_OUT_OF_RANGE", "ERR_UNSUPPORTED_VIDEO_CODEC", "ERR_UNSUPPORTED_AUDIO_CODEC", "ERR_STORAGE_QUOTA_EXHAUSTED", "ERR_MISSING_SUBSCRIPTION"];

/** A signed Cloudflare live input webhook: `state` is `connected`, `disconnected` or `errored`. */
export function cfLiveInput(input, state, at = new Date(), code = CODES[0]) {
  const data = { notification_name: "Stream Live Input", input_id: input, event_type: `live_input.${state}`, updated_at: at.toISOString() };
  if (state === "errored") data.live_input_errored = { error: { code, message: "load test" }, video_codec: "", audio_codec: "" };
  return { path: "/webhooks/cloudflare", headers: { "cf-webhook-auth": CF_SECRET }, body: JSON.stringify({ name: "load", text: "", data, ts: 0 }) };
}

/** Sends one request; `{status, ms, body}` (status 0: no answer; body: the answer's text). */
export async function post(r) {
  const t = performance.now();
  try {
    const res = await fetch(BASE + r.path, { method: "POST", headers: { "Content-Type": "application/json", ...r.headers }, body: r.body });
    const body = await res.text();
    return { status: res.status, ms: performance.now() - t, body };
  } catch (e) {
    return { status: 0, ms: performance.now() - t, body: String(e?.cause ?? e) };
  }
}

/** A bearer GET: `{status, ms, body}` (body parsed when JSON). */
export async function get(p) {
  const t = performance.now();
  try {
    const res = await fetch(BASE + p, { headers: API });
    const text = await res.text();
    const ms = performance.now() - t;
    let body = null;
    try {
      body = JSON.parse(text);
    } catch {}
    return { status: res.status, ms, body };
  } catch {
    return { status: 0, ms: performance.now() - t, body: null };
  }
}

/** Runs `fn(item, i)` over `items`, `concurrency` at a time, in order of `items`. */
export async function pool(items, concurrency, fn) {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) {
        const i = next++;
        await fn(items[i], i);
      }
    }),
  );
}

/** Counts answers by status. */
export class Statuses {
  counts = {};
  add(status) {
    this.counts[status] = (this.counts[status] ?? 0) + 1;
  }
  fivexx() {
    return Object.entries(this.counts).filter(([s]) => Number(s) >= 500 || s === "0").reduce((a, [, n]) => a + n, 0);
  }
}

/** Nearest-rank percentiles of `ms`, rounded to 0.1 ms. */
export function percentiles(ms) {
  const s = [...ms].sort((a, b) => a - b);
  const at = (p) => (s.length ? Number(s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)].toFixed(1)) : null);
  return { n: s.length, p50: at(50), p95: at(95), p99: at(99), max: s.length ? Number(s[s.length - 1].toFixed(1)) : null };
}

/**
 * Pages through `GET /incidents?{query}&limit=200` with the cursor: the incidents whose
 * stream id starts with `prefix`, the pages, the wall time, and any non-200 answer.
 */
export async function walkIncidents(query, prefix, statuses) {
  const t = performance.now();
  const ids = new Set();
  let cursor = null;
  let pages = 0;
  let all = 0;
  do {
    const r = await get(`/incidents?${query}&limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
    statuses?.add(r.status);
    if (r.status !== 200) return { ids, pages, all, ms: performance.now() - t, failed: r.status };
    pages++;
    for (const i of r.body.incidents) {
      all++;
      if (i.stream_id.startsWith(prefix)) ids.add(i.id);
    }
    cursor = r.body.cursor;
  } while (cursor);
  return { ids, pages, all, ms: performance.now() - t, failed: null };
}
