// `npm run load`: a bounded load test against `npm run dev` on 127.0.0.1 (started here if it is
// not already running, stopped afterwards). Sends ~1 000 signed events over 100 streams of the
// three providers, shuffled, 16 at a time, with duplicates; then checks that every stream's
// status is its newest event, that nothing answered 5xx, and that every errored event has
// exactly one alert record. Exits non-zero on any failure. Uses the values of .dev.vars.example.
import { spawn } from "node:child_process";
import { createHash, createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const BASE = process.env.LOAD_URL ?? "http://127.0.0.1:8787";
const CF_SECRET = "local-cf-secret";
const FASTPIX_KEY = Buffer.from("livehook-fastpix-test-key");
const GCORE_TOKEN = "local-gcore-token";
const API = { Authorization: "Bearer local-api-token" };
const CONCURRENCY = 16;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const fixture = (p, n) => JSON.parse(readFileSync(path.join(root, "tests/fixtures", p, n), "utf8"));
const run = Date.now().toString(36); // ids unique to this run, so reruns do not collide

async function up() {
  try {
    return (await fetch(`${BASE}/healthz`)).ok;
  } catch {
    return false;
  }
}

let dev;
if (!(await up())) {
  console.error(`load: starting npm run dev on ${BASE} …`);
  dev = spawn("bash", ["scripts/dev.sh"], { cwd: root, env: { ...process.env, PORT: new URL(BASE).port }, stdio: "ignore", detached: true });
  const end = Date.now() + 300_000;
  while (!(await up())) {
    if (Date.now() > end) throw new Error("npm run dev did not come up in 5 minutes");
    await sleep(1000);
  }
}

// ---- the events ----
const CODES = ["ERR_GOP_OUT_OF_RANGE", "ERR_UNSUPPORTED_VIDEO_CODEC", "ERR_UNSUPPORTED_AUDIO_CODEC", "ERR_STORAGE_QUOTA_EXHAUSTED", "ERR_MISSING_SUBSCRIPTION"];
const CF_STATES = ["connected", "disconnected", "errored"];
const t0 = Date.UTC(2026, 0, 1);
const concurrent = []; // [request, expectation] sent in any order
const sequences = []; // Gcore: per stream, sent in order (Gcore has no event time)
const expect = { cloudflare: {}, fastpix: {}, gcore: {} };
const alertIds = [];

for (let s = 0; s < 40; s++) {
  const input = `load${run}cf${s}`;
  for (let k = 0; k < 10; k++) {
    const at = new Date(t0 + (s * 10 + k) * 1000 + Math.floor(Math.random() * 999)).toISOString();
    // At most one errored event per code per input: each is its own incident and alert.
    const errored = k < CODES.length && k % 2 === 0;
    const type = errored ? "errored" : CF_STATES[k % 2];
    const data = { notification_name: "Stream Live Input", input_id: input, event_type: `live_input.${type}`, updated_at: at };
    if (errored) {
      data.live_input_errored = { error: { code: CODES[k], message: "load test" }, video_codec: "", audio_codec: "" };
      const ns = (BigInt(Date.parse(at)) * 1_000_000n).toString();
      const id = createHash("sha256").update(`live_input.errored|${input}|${ns}|${CODES[k]}`).digest("hex").slice(0, 24);
      alertIds.push(`alr_${id}`);
    }
    concurrent.push({ path: "/webhooks/cloudflare", headers: { "cf-webhook-auth": CF_SECRET }, body: JSON.stringify({ name: "load", text: "", data, ts: 0 }) });
    const prev = expect.cloudflare[input];
    if (!prev || Date.parse(at) > Date.parse(prev.at)) expect.cloudflare[input] = { at, state: type };
  }
}
const FP = ["live-stream-connected.json", "live-stream-active.json", "live-stream-idle.json", "live-stream-disconnected.json", "live-stream-recording.json"];
for (let s = 0; s < 40; s++) {
  const id = `load-${run}-fp-${s}`;
  for (let k = 0; k < 10; k++) {
    const p = fixture("fastpix", FP[k % FP.length]);
    p.data.streamId = id;
    p.webhookId = `load-${run}-${s}-${k}`;
    p.created_at = new Date(t0 + (s * 10 + k) * 1000 + Math.floor(Math.random() * 999)).toISOString();
    const body = JSON.stringify(p);
    concurrent.push({ path: "/webhooks/fastpix", headers: { "FastPix-Signature": createHmac("sha256", FASTPIX_KEY).update(body).digest("base64") }, body });
    const prev = expect.fastpix[id];
    if (!prev || Date.parse(p.created_at) > Date.parse(prev.at)) expect.fastpix[id] = { at: p.created_at };
  }
}
for (let s = 0; s < 20; s++) {
  const id = 700000 + Math.floor(Math.random() * 1000) * 100 + s;
  const seq = [];
  for (let k = 0; k < 10; k++) {
    const p = fixture("gcore", k % 2 ? "stream-paused.json" : "stream-started.json");
    p.message.stream.id = id;
    seq.push({ path: `/webhooks/gcore/${GCORE_TOKEN}`, headers: { "CF-Connecting-IP": "92.223.123.10" }, body: JSON.stringify(p) });
  }
  sequences.push(seq);
  expect.gcore[id] = { state: "disconnected" }; // the last one sent is stream-paused → offline
}

// Duplicates: 10 % of the concurrent events again, then shuffle.
const dupes = concurrent.filter(() => Math.random() < 0.1);
const queue = [...concurrent, ...dupes].sort(() => Math.random() - 0.5);
const total = queue.length + sequences.reduce((a, s) => a + s.length, 0);

const statuses = {};
async function post(r) {
  const res = await fetch(BASE + r.path, { method: "POST", headers: { "Content-Type": "application/json", ...r.headers }, body: r.body });
  await res.arrayBuffer();
  statuses[res.status] = (statuses[res.status] ?? 0) + 1;
}
const started = performance.now();
await Promise.all([
  ...Array.from({ length: CONCURRENCY }, async () => {
    while (queue.length) await post(queue.pop());
  }),
  ...sequences.map(async (seq) => {
    for (const r of seq) await post(r);
  }),
]);
const seconds = (performance.now() - started) / 1000;

// ---- checks (KV writes are coalesced to 1/s per stream: allow a few seconds) ----
const failures = [];
async function record(provider, id) {
  const r = await fetch(`${BASE}/streams/${provider}/${encodeURIComponent(id)}`, { headers: API });
  return r.ok ? r.json() : null;
}
await sleep(2500);
for (const [provider, streams] of Object.entries(expect)) {
  for (const [id, want] of Object.entries(streams)) {
    let rec;
    for (let tries = 0; tries < 20; tries++) {
      rec = await record(provider, id);
      const ok = rec && (!want.at || Date.parse(rec.updated_at) === Date.parse(want.at)) && (!want.state || rec.state === want.state);
      if (ok) break;
      await sleep(500);
    }
    const ok = rec && (!want.at || Date.parse(rec.updated_at) === Date.parse(want.at)) && (!want.state || rec.state === want.state);
    if (!ok) failures.push(`${provider}/${id}: got ${rec ? `${rec.state} @ ${rec.updated_at}` : "nothing"}, want ${JSON.stringify(want)}`);
  }
}
let alertsFound = 0;
for (const id of alertIds) {
  const r = await fetch(`${BASE}/alerts/${id}`, { headers: API });
  if (r.ok) {
    const rec = await r.json();
    if (rec.alert.id === id && rec.repeat_count === 0) alertsFound++;
    else failures.push(`alert ${id}: folded into ${rec.alert.id} (repeat_count ${rec.repeat_count})`);
  } else failures.push(`alert ${id}: ${r.status}`);
}
const fivexx = Object.entries(statuses).filter(([s]) => Number(s) >= 500).reduce((a, [, n]) => a + n, 0);
if (fivexx) failures.push(`${fivexx} responses were 5xx`);
const non200 = Object.entries(statuses).filter(([s]) => s !== "200");
if (non200.length) failures.push(`non-200 answers: ${JSON.stringify(Object.fromEntries(non200))}`);

console.log(JSON.stringify({
  requests: total,
  duplicates: dupes.length,
  seconds: Number(seconds.toFixed(1)),
  statuses,
  streams_checked: Object.values(expect).reduce((a, s) => a + Object.keys(s).length, 0),
  errored_events: alertIds.length,
  alerts_found_once: alertsFound,
  failures: failures.length,
}));
for (const f of failures.slice(0, 20)) console.error("FAIL", f);
if (dev) process.kill(-dev.pid, "SIGTERM");
process.exit(failures.length ? 1 : 0);
