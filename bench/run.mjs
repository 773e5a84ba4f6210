// `npm run bench`: how fast and how small livehook is, next to a hand-written JavaScript Worker
// (the naive baseline: no ordering, de-duplication or alerts) and the platform floor (only the
// platform calls livehook makes per webhook).
// Prints one markdown table and writes it, with the date, machine and versions, to
// bench/results.md. Parts: host micro-benchmarks (cargo bench, divan), end to end under workerd
// (miniflare) loaded with wrk for both workers, size and start-up, and scale by stream count.
// Environment: BENCH_SECONDS (per wrk run, default 8), BENCH_RUNS (per side, default 3),
// BENCH_CONNECTIONS (default 16), BENCH_SKIP_HOST=1 to skip the cargo part.
import { Miniflare } from "miniflare";
import { spawn, spawnSync } from "node:child_process";
import { createHmac } from "node:crypto";
import { mkdtempSync, readFileSync, readdirSync, writeFileSync, statSync } from "node:fs";
import { gzipSync } from "node:zlib";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const SECRETS = {
  CF_WEBHOOK_SECRET: "bench-cf-secret",
  FASTPIX_WEBHOOK_SECRET: Buffer.from("livehook-fastpix-test-key").toString("base64"),
  GCORE_WEBHOOK_TOKEN: "bench-gcore-token",
  STATUS_API_TOKEN: "bench-api-token",
  GCORE_ALLOWED_CIDRS: "92.223.123.0/24",
};
// BENCH_BUILD_DIR: benchmark another build of livehook (e.g. an older commit's build/) instead.
const buildDir = process.env.BENCH_BUILD_DIR ?? path.join(root, "build");
const tmp = mkdtempSync(path.join(os.tmpdir(), "livehook-bench-"));
const log = (...a) => console.error("bench:", ...a);

// ---------- requests: the seed payloads over many stream ids, every one unique and signed ----------

function fixtures(provider) {
  const dir = path.join(root, "tests/fixtures", provider);
  return readdirSync(dir)
    .filter((f) => f.endsWith(".json") && !["save-and-test.json", "other-alert-type.json"].includes(f))
    .sort()
    .map((f) => JSON.parse(readFileSync(path.join(dir, f), "utf8")));
}

const seeds = { cloudflare: fixtures("cloudflare"), fastpix: fixtures("fastpix"), gcore: fixtures("gcore") };

/** `count` unique requests over `pool` stream ids, round-robin over the three providers. */
function requestFile(name, count, pool) {
  const lines = [];
  const t0 = Date.UTC(2026, 0, 1);
  for (let i = 0; i < count; i++) {
    const at = new Date(t0 + i * 1000).toISOString();
    const n = (i * 7919) % pool;
    const provider = ["cloudflare", "fastpix", "gcore"][i % 3];
    const list = seeds[provider];
    const p = structuredClone(list[Math.floor(i / 3) % list.length]);
    let line;
    if (provider === "cloudflare") {
      p.data.input_id = `in${String(n).padStart(30, "0")}`;
      p.data.updated_at = at;
      p.text = `Input ID: ${p.data.input_id}`;
      line = ["/webhooks/cloudflare", `cf-webhook-auth:${SECRETS.CF_WEBHOOK_SECRET}`, JSON.stringify(p)];
    } else if (provider === "fastpix") {
      const id = `stream-${n}`;
      for (const k of ["streamId", "livestreamId"]) if (p.data?.[k]) p.data[k] = id;
      if (p.data?.simulcastId) p.data.simulcastId = `target-${n}`;
      p.created_at = at;
      p.webhookId = `bench-${name}-${i}`;
      const body = JSON.stringify(p);
      const sig = createHmac("sha256", Buffer.from(SECRETS.FASTPIX_WEBHOOK_SECRET, "base64")).update(body).digest("base64");
      line = ["/webhooks/fastpix", `FastPix-Signature:${sig}`, body];
    } else {
      const m = p.message ?? {};
      for (const k of ["stream", "video", "broadcast"]) if (m[k]) m[k].id = 100000 + n;
      line = [`/webhooks/gcore/${SECRETS.GCORE_WEBHOOK_TOKEN}`, "CF-Connecting-IP:92.223.123.10", JSON.stringify(p)];
    }
    lines.push(line.join("\t"));
  }
  const file = path.join(tmp, `${name}.tsv`);
  writeFileSync(file, lines.join("\n") + "\n");
  return file;
}

// ---------- the two workers under workerd (miniflare), listening on 127.0.0.1 ----------

function drain(stdout, stderr) {
  stdout.resume();
  stderr.resume();
}

const rustOptions = {
  modulesRoot: buildDir,
  modules: [
    { type: "ESModule", path: path.join(buildDir, "index.js") },
    { type: "CompiledWasm", path: path.join(buildDir, "index_bg.wasm") },
  ],
  compatibilityDate: "2026-04-01",
  kvNamespaces: ["STREAM_STATUS"],
  durableObjects: {
    STREAMS: { className: "StreamStatus", useSQLite: true },
    ALERT_HUB: { className: "AlertHub", useSQLite: true },
  },
  bindings: SECRETS,
  cf: false,
  host: "127.0.0.1",
  port: 0,
  // The worker logs a line per webhook: drain it (an unread pipe fills and stalls workerd).
  handleRuntimeStdio: drain,
};

const jsOptions = {
  modules: true,
  scriptPath: path.join(root, "bench/baseline/worker.js"),
  compatibilityDate: "2026-04-01",
  kvNamespaces: ["STREAM_STATUS"],
  bindings: SECRETS,
  cf: false,
  host: "127.0.0.1",
  port: 0,
  handleRuntimeStdio: drain,
};

// The platform floor: worker → the stream's Durable Object → one storage put → one KV put.
const floorOptions = {
  modules: true,
  scriptPath: path.join(root, "bench/floor/worker.js"),
  compatibilityDate: "2026-04-01",
  kvNamespaces: ["STREAM_STATUS"],
  durableObjects: { STREAMS: { className: "FloorStream", useSQLite: true } },
  cf: false,
  host: "127.0.0.1",
  port: 0,
  handleRuntimeStdio: drain,
};

async function start(options) {
  const mf = new Miniflare(options);
  const url = await mf.ready;
  return { mf, url: url.toString().replace(/\/$/, "") };
}

// ---------- wrk ----------

/** Runs wrk without blocking this process: workerd's output pipes must keep draining, or a
 *  worker that logs (livehook logs a line per webhook) stalls once the pipe is full. */
async function wrk(url, file, seconds) {
  const child = spawn("wrk", ["-t1", `-c${CONNECTIONS}`, `-d${seconds}s`, "--latency", "-s", path.join(root, "bench/post.lua"), url], {
    env: { ...process.env, LIVEHOOK_BENCH_REQUESTS: file },
  });
  let out = "";
  let err = "";
  child.stdout.on("data", (d) => (out += d));
  child.stderr.on("data", (d) => (err += d));
  const status = await new Promise((resolve) => child.on("close", resolve));
  if (status !== 0) throw new Error(`wrk failed: ${err || out}`);
  const ms = (s) => {
    const m = s.match(/([\d.]+)(us|ms|s)/);
    if (!m) return NaN;
    return Number(m[1]) * { us: 0.001, ms: 1, s: 1000 }[m[2]];
  };
  const pct = (p) => ms(out.match(new RegExp(`^\\s+${p}%\\s+(\\S+)`, "m"))?.[1] ?? "");
  const non2xx = Number(out.match(/Non-2xx or 3xx responses: (\d+)/)?.[1] ?? 0);
  const sock = out.match(/Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/);
  const socketErrors = sock ? sock.slice(1).map(Number).reduce((a, b) => a + b, 0) : 0;
  return {
    rps: Number(out.match(/Requests\/sec:\s+([\d.]+)/)?.[1] ?? NaN),
    requests: Number(out.match(/(\d+) requests in/)?.[1] ?? 0),
    p50: pct(50),
    p90: pct(90),
    p99: pct(99),
    errors: non2xx + socketErrors,
  };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const fmt = (x, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : "n/a");

// ---------- host micro-benchmarks (divan) ----------

function hostBenchmarks() {
  log("cargo bench --bench normalize …");
  const r = spawnSync("cargo", ["bench", "--bench", "normalize"], { cwd: root, encoding: "utf8", maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`cargo bench failed:\n${r.stderr}`);
  const toNs = (s) => {
    const m = s.match(/([\d.]+)\s*(ns|µs|us|ms|s)\b/);
    return m ? Number(m[1]) * { ns: 1, "µs": 1e3, us: 1e3, ms: 1e6, s: 1e9 }[m[2]] : NaN;
  };
  const toRate = (s) => {
    const m = s.match(/([\d.]+)\s*([KMG]?)item\/s/);
    return m ? Number(m[1]) * { "": 1, K: 1e3, M: 1e6, G: 1e9 }[m[2]] : NaN;
  };
  const rows = {};
  const lines = r.stdout.split("\n");
  let group = null;
  for (let i = 0; i < lines.length; i++) {
    const m = lines[i].match(/^(.*?)[├╰]─ (\S+)\s*(.*)$/);
    if (!m) continue;
    const depth = [...m[1]].length;
    const cols = m[3].split("│").map((c) => c.trim());
    const timed = Number.isFinite(toNs(cols[0] ?? ""));
    if (depth === 0 && !timed) {
      group = m[2];
      continue;
    }
    const name = depth === 0 ? m[2] : `${group}/${m[2]}`;
    const rate = (lines[i + 1] ?? "").replace(/^[│\s]*/, "").split("│").map((c) => c.trim());
    rows[name] = { medianNs: toNs(cols[2] ?? ""), itemsPerSec: toRate(rate[2] ?? "") };
  }
  return rows;
}

// ---------- start-up: reload the worker (workerd re-instantiates it) until it answers ----------

async function startup(options, probe) {
  const { mf } = await start(options);
  const times = [];
  for (let i = 0; i < 7; i++) {
    const t = performance.now();
    await mf.setOptions(options);
    await (await mf.dispatchFetch(`http://localhost${probe}`)).arrayBuffer();
    times.push(performance.now() - t);
  }
  await mf.dispose();
  return median(times);
}

// ---------- main ----------

function versions() {
  const sh = (cmd, args) => spawnSync(cmd, args, { encoding: "utf8" }).stdout?.trim().split("\n")[0] ?? "?";
  const lock = readFileSync(path.join(root, "Cargo.lock"), "utf8");
  const crate = (n) => lock.match(new RegExp(`name = "${n}"\\nversion = "([^"]+)"`))?.[1] ?? "?";
  const pkg = (n) => JSON.parse(readFileSync(path.join(root, "node_modules", n, "package.json"), "utf8")).version;
  return {
    rustc: sh("rustc", ["-V"]),
    node: process.version,
    worker: crate("worker"),
    "wasm-bindgen": crate("wasm-bindgen"),
    miniflare: pkg("miniflare"),
    workerd: pkg("workerd"),
    wrk: sh("wrk", ["-v"]) || spawnSync("wrk", ["-v"], { encoding: "utf8" }).stderr.trim().split("\n")[0],
  };
}

const out = [];
const row = (...cells) => out.push(`| ${cells.join(" | ")} |`);

const host = process.env.BENCH_SKIP_HOST === "1" ? null : hostBenchmarks();

log("sizes and start-up …");
const wasm = readFileSync(path.join(buildDir, "index_bg.wasm"));
const shim = readFileSync(path.join(buildDir, "index.js"));
const baseline = readFileSync(path.join(root, "bench/baseline/worker.js"));
const startRust = await startup(rustOptions, "/healthz");
const startJs = await startup(jsOptions, "/healthz");

log(`end to end: ${RUNS} runs × ${SECONDS} s per side, ${CONNECTIONS} connections …`);
const rust = await start(rustOptions);
const js = await start(jsOptions);
const floor = await start(floorOptions);
const urls = { rust: rust.url, js: js.url, floor: floor.url };
const perRun = Math.ceil(SECONDS * 4000);
const warm = requestFile("warm", 2000, 1000);
for (const url of Object.values(urls)) await wrk(url, warm, 1);
const results = { rust: [], js: [], floor: [] };
const sides = ["rust", "js", "floor"];
for (let i = 0; i < RUNS; i++) {
  // Alternating: each run starts with another side.
  for (const side of sides.map((_, k) => sides[(k + i) % sides.length])) {
    const file = requestFile(`${side}-${i}`, perRun, 10_000);
    const r = await wrk(urls[side], file, SECONDS);
    log(`${side} run ${i + 1}: ${fmt(r.rps)} req/s, p50 ${fmt(r.p50, 2)} ms, p99 ${fmt(r.p99, 2)} ms, errors ${r.errors}`);
    results[side].push(r);
  }
}

log("scale: livehook with 10, 1 000 and 100 000 distinct streams …");
const scale = [];
for (const pool of [10, 1_000, 100_000]) {
  const fresh = await start(rustOptions);
  const file = requestFile(`scale-${pool}`, perRun, pool);
  const r = await wrk(fresh.url, file, SECONDS);
  log(`${pool} streams: ${fmt(r.rps)} req/s, p50 ${fmt(r.p50, 2)} ms`);
  scale.push({ pool, ...r });
  await fresh.mf.dispose();
}
await rust.mf.dispose();
await js.mf.dispose();
await floor.mf.dispose();

// ---------- the table ----------

const summary = (rs) => {
  const rps = rs.map((r) => r.rps);
  return {
    rps: median(rps),
    min: Math.min(...rps),
    max: Math.max(...rps),
    p50: median(rs.map((r) => r.p50)),
    p90: median(rs.map((r) => r.p90)),
    p99: median(rs.map((r) => r.p99)),
    errors: rs.reduce((a, r) => a + r.errors, 0),
    requests: rs.reduce((a, r) => a + r.requests, 0),
  };
};
const R = summary(results.rust);
const J = summary(results.js);
const F = summary(results.floor);
// livehook ÷ another side, per run pair (same run index), as median (min–max).
const ratio = (other, pick) => {
  const rs = results.rust.map((r, i) => pick(r) / pick(results[other][i]));
  return `${fmt(median(rs), 2)}× (${fmt(Math.min(...rs), 2)}–${fmt(Math.max(...rs), 2)})`;
};

out.push("| end to end | livehook (Rust/Wasm) | platform floor | livehook ÷ floor |", "|---|---|---|---|");
row("req/s (median; min–max)", `${fmt(R.rps)} (${fmt(R.min)}–${fmt(R.max)})`, `${fmt(F.rps)} (${fmt(F.min)}–${fmt(F.max)})`, ratio("floor", (r) => r.rps));
row("latency p50, ms", fmt(R.p50, 2), fmt(F.p50, 2), ratio("floor", (r) => r.p50));
row("latency p99, ms", fmt(R.p99, 2), fmt(F.p99, 2), ratio("floor", (r) => r.p99));
row("errors / requests", `${R.errors} / ${R.requests}`, `${F.errors} / ${F.requests}`, "");
out.push("", "The platform floor (`bench/floor/worker.js`) makes only livehook's platform calls per webhook: worker → the stream's Durable Object → one storage put → one KV put; no parsing, authentication or logic. A \"JS, same guarantees\" row (a JavaScript worker with livehook's design) is not built yet.", "");
out.push("| measure | livehook (Rust/Wasm) | JS baseline (naive) | livehook / JS |", "|---|---|---|---|");
row("end to end, req/s (median; min–max)", `${fmt(R.rps)} (${fmt(R.min)}–${fmt(R.max)})`, `${fmt(J.rps)} (${fmt(J.min)}–${fmt(J.max)})`, `${fmt(R.rps / J.rps, 2)}×`);
row("latency p50 / p90 / p99, ms (median of runs)", `${fmt(R.p50, 2)} / ${fmt(R.p90, 2)} / ${fmt(R.p99, 2)}`, `${fmt(J.p50, 2)} / ${fmt(J.p90, 2)} / ${fmt(J.p99, 2)}`, `p99 ${fmt(R.p99 / J.p99, 2)}×`);
row("errors (non-2xx + socket) / requests", `${R.errors} / ${R.requests}`, `${J.errors} / ${J.requests}`, "");
row("code size raw / gzip, bytes", `${wasm.length} / ${gzipSync(wasm, { level: 9 }).length} (.wasm) + ${shim.length} / ${gzipSync(shim, { level: 9 }).length} (index.js)`, `${baseline.length} / ${gzipSync(baseline, { level: 9 }).length}`, "");
row("start-up: reload + first response, ms (median of 7)", fmt(startRust), fmt(startJs), `+${fmt(startRust - startJs)} ms`);
for (const s of scale) row(`livehook with ${s.pool} streams: req/s, p50 / p99 ms`, `${fmt(s.rps)}, ${fmt(s.p50, 2)} / ${fmt(s.p99, 2)}`, "", "");
if (host) {
  out.push("", "| host micro-benchmark (one core, divan median) | ns/event | events/s |", "|---|---|---|");
  for (const [name, r] of Object.entries(host)) row(name, fmt(1e9 / r.itemsPerSec, 0), fmt(r.itemsPerSec, 0));
}

const v = versions();
const header = [
  `# livehook benchmark results`,
  "",
  `Date: ${new Date().toISOString()}  `,
  `Machine: ${os.cpus()[0]?.model ?? "?"}, ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${os.platform()} ${os.release()}  `,
  `Versions: ${Object.entries(v).map(([k, x]) => `${k} ${x}`).join(", ")}  `,
  `Load: wrk -t1 -c${CONNECTIONS}, ${SECONDS} s per run, ${RUNS} runs per side alternating, unique signed seed payloads (Cloudflare, FastPix, Gcore round-robin) over 10 000 stream ids; every worker under workerd (miniflare) on 127.0.0.1 with local KV (livehook and the floor also with Durable Objects).`,
  "",
];
const text = header.concat(out).join("\n") + "\n";
const resultsFile = process.env.BENCH_RESULTS ?? path.join(root, "bench/results.md");
writeFileSync(resultsFile, text);
console.log(text);
