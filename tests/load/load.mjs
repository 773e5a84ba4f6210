// `npm run load`: a bounded load test against `npm run dev` on 127.0.0.1 (started here if it is
// not already running, stopped afterwards). Sends ~1 900 signed events over 180 streams of all
// seven routes, shuffled, 16 at a time, with duplicates; then checks that every stream's
// status is its newest event, that nothing answered 5xx, and that every errored event has
// exactly one alert record. Exits non-zero on any failure. Uses the values of .dev.vars.example.
//
// Other scenarios: `npm run load -- --scenario=storm` (`npm run load:storm`, tests/load/storm.mjs:
// 2 000 streams errored within a minute) and `npm run load -- --scenario=index`
// (`npm run load:index`, tests/load/index.mjs: `GET /incidents?state=open` with 10 000 streams
// and 2 000 open incidents) and `npm run load -- --scenario=publish` (`npm run load:publish`,
// tests/load/publish.mjs: the answer time of SRS's on_publish with 50 publishers at once); each
// file's header says what it does and prints.
import { spawn } from "node:child_process";
import { createHash, createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const scenario = process.argv.find((a) => a.startsWith("--scenario="))?.slice("--scenario=".length) ?? "mixed";
if (scenario !== "mixed") {
  const scenarios = { storm: "./storm.mjs", index: "./index.mjs", publish: "./publish.mjs" };
  if (!scenarios[scenario]) {
    console.error(`load: unknown scenario ${scenario} (mixed, storm, index, publish)`);
    process.exit(2);
  }
  const { main } = await import(scenarios[scenario]);
  process.exit(await main());
}

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const BASE = process.env.LOAD_URL ?? "http://127.0.0.1:8787";
const CF_SECRET = "local-cf-secret";
const FASTPIX_KEY = Buffer.from("livehook-fastpix-test-key");
const GCORE_TOKEN = "local-gcore-token";
const CF_STREAM_SECRET = "local-cf-stream-secret";
const MUX_SECRET = "local-mux-secret";
const LIVEPEER_SECRET = "local-livepeer-secret";
const IVS_TOKEN = "local-ivs-token";
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
const expect = { cloudflare: {}, fastpix: {}, gcore: {}, mux: {}, ivs: {}, livepeer: {}, "cloudflare?kind=video": {} };
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

// The providers added later: 20 streams each, 10 events a stream at distinct whole seconds (IVS
// times have no fraction), signed now (their signatures carry a time checked within 300 s).
const hmacHex = (key, ...parts) => parts.reduce((h, p) => h.update(p), createHmac("sha256", key)).digest("hex");
const nowS = () => Math.floor(Date.now() / 1000);
function timed(provider, prefix, make) {
  for (let s = 0; s < 20; s++) {
    const id = make.id ? make.id(`${prefix}${run}x${s}`) : `${prefix}${run}x${s}`;
    for (let k = 0; k < 10; k++) {
      const at = new Date(t0 + (s * 10 + k) * 1000);
      concurrent.push(make(id, k, at, `${prefix}-${run}-${s}-${k}`));
      const prev = expect[provider][id];
      if (!prev || at > Date.parse(prev.at)) expect[provider][id] = { at: at.toISOString() };
    }
  }
}
const MUX = ["live-stream-connected.json", "live-stream-active.json", "live-stream-idle.json", "live-stream-disconnected.json", "live-stream-recording.json"];
timed("mux", "loadmux", (id, k, at, eventId) => {
  const p = fixture("mux", MUX[k % MUX.length]);
  Object.assign(p, { id: eventId, created_at: at.toISOString() });
  p.data.id = id;
  p.object.id = id;
  const body = JSON.stringify(p);
  const t = nowS();
  return { path: "/webhooks/mux", headers: { "Mux-Signature": `t=${t},v1=${hmacHex(MUX_SECRET, `${t}.`, body)}` }, body };
});
const IVS = ["session-created.json", "stream-start.json", "stream-end.json", "session-ended.json"];
const ivsMake = (id, k, at, eventId) => {
  const p = fixture("ivs", IVS[k % IVS.length]);
  Object.assign(p, { id: eventId, time: at.toISOString().replace(".000Z", "Z"), resources: [id] });
  return { path: "/webhooks/ivs", headers: { "x-api-key": IVS_TOKEN }, body: JSON.stringify(p) };
};
ivsMake.id = (s) => `arn:aws:ivs:us-west-2:123456789012:channel/${s}`;
timed("ivs", "loadivs", ivsMake);
timed("livepeer", "loadlp", (id, k, at, eventId) => {
  const p = fixture("livepeer", k % 2 ? "stream-idle.json" : "stream-started.json");
  Object.assign(p, { id: eventId, createdAt: at.getTime(), timestamp: Date.now() });
  p.stream.id = id;
  const body = JSON.stringify(p);
  return { path: "/webhooks/livepeer", headers: { "Livepeer-Signature": `t=${p.timestamp},v1=${hmacHex(LIVEPEER_SECRET, body)}` }, body };
});
const VIDEO = ["video-pendingupload.json", "video-queued.json", "video-inprogress.json", "video-ready.json"];
timed("cloudflare?kind=video", "loadvid", (id, k, at) => {
  const p = fixture("cloudflare-stream", VIDEO[k % VIDEO.length]);
  Object.assign(p, { uid: id, modified: at.toISOString() });
  delete p.liveInput;
  const body = JSON.stringify(p);
  const t = nowS();
  return { path: "/webhooks/cloudflare-stream", headers: { "Webhook-Signature": `time=${t},sig1=${hmacHex(CF_STREAM_SECRET, `${t}.`, body)}` }, body };
});

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
  const [name, query = ""] = provider.split("?");
  const r = await fetch(`${BASE}/streams/${name}/${encodeURIComponent(id)}${query && `?${query}`}`, { headers: API });
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
