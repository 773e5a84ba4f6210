// `npm run bench`: how fast and how small livehook is, next to three JavaScript Workers, all
// under workerd (miniflare) on 127.0.0.1 (bench/workers.mjs):
//   "JS, same guarantees"  livehook's design written in JavaScript (bench/same-guarantees/):
//                          the competitor (target: livehook ≥ 1.0× its throughput)
//   "platform floor"       only the platform calls livehook makes per webhook (bench/floor/):
//                          worker → the stream's Durable Object (JS RPC) → one storage put → one
//                          KV put (target: livehook ≥ 0.9× its throughput)
//   "naive JS"             parse, verify, one KV put; no ordering, de-duplication or alerts
//                          (bench/baseline/): what the guarantees cost
// Parts: host micro-benchmarks (cargo bench, divan); start-up (reload to first response); end to
// end with wrk, the four sides alternating per run; scale by stream count (livehook); isolate CPU
// per webhook and provider for livehook and "JS, same guarantees" (bench/cpu.mjs); size.
// Prints one markdown report and writes it, with the date, machine, versions and load average,
// to bench/results.md (BENCH_RESULTS: another file). Every number in it is measured in this run.
//
// Environment: BENCH_SECONDS (per wrk run, default 8), BENCH_RUNS (end-to-end runs per side,
// default 5), BENCH_CONNECTIONS (default 16), BENCH_SKIP_HOST=1 (no cargo part), BENCH_BUILD_DIR
// (benchmark another build of livehook, e.g. an older commit's build/), BENCH_SKIP_CPU=1 (no CPU
// part), BENCH_CPU_RUNS (default 3), BENCH_CPU_N (measured requests per provider and run, default
// 300), BENCH_CPU_WARM (default 150), BENCH_CPU_INTERVAL (profiler interval in µs, default 250),
// BENCH_QUIET_PRESSURE (%, default 20: a run pair counts as quiet when the CPU pressure, the share
// of the run some task waited for a CPU, stayed at or below it in both runs).
import { Miniflare } from "miniflare";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import os from "node:os";
import path from "node:path";
import { SEED_PROVIDERS, fixture, freshEvent, seedLoad, sign, writeRequestFile } from "./requests.mjs";
import { LABELS, buildDir, root, sources, workerOptions } from "./workers.mjs";
import { cpuTable, measureCpu } from "./cpu.mjs";

const began = performance.now();
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const SKIP_HOST = process.env.BENCH_SKIP_HOST === "1";
const SKIP_CPU = process.env.BENCH_SKIP_CPU === "1";
const CPU = {
  runs: Number(process.env.BENCH_CPU_RUNS ?? 3),
  n: Number(process.env.BENCH_CPU_N ?? 300),
  warm: Number(process.env.BENCH_CPU_WARM ?? 150),
  interval: Number(process.env.BENCH_CPU_INTERVAL ?? 250),
};
const POOL = 10_000;
const QUIET = Number(process.env.BENCH_QUIET_PRESSURE ?? 20);
const tmp = mkdtempSync(path.join(os.tmpdir(), "livehook-bench-"));
const log = (...a) => console.error("bench:", ...a);

// ---------- helpers ----------

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const fmt = (x, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : "n/a");
const int = (x) => (Number.isFinite(x) ? Math.round(x).toLocaleString("en-US").replaceAll(",", " ") : "n/a");
const spread = (xs, d = 1) => `${fmt(median(xs), d)} (${fmt(Math.min(...xs), d)}–${fmt(Math.max(...xs), d)})`;
const loadavg = () => readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" / ");
/** µs some task waited for a CPU since boot (Linux PSI), or NaN. */
function cpuStallUs() {
  try {
    return Number(readFileSync("/proc/pressure/cpu", "utf8").match(/^some .*total=(\d+)/m)[1]);
  } catch {
    return NaN;
  }
}

const loads = [["start", loadavg()]];
const phases = [];
async function phase(name, fn) {
  const t = performance.now();
  const r = await fn();
  phases.push([name, (performance.now() - t) / 1000]);
  return r;
}

async function start(side) {
  const mf = new Miniflare(workerOptions(side, { listen: true }));
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
  const stall0 = cpuStallUs();
  const t0 = performance.now();
  const status = await new Promise((resolve) => child.on("close", resolve));
  // Share of the run during which some task waited for a CPU (others compiling on these cores).
  const pressure = ((cpuStallUs() - stall0) / ((performance.now() - t0) * 1000)) * 100;
  if (status !== 0) throw new Error(`wrk failed: ${err || out}`);
  const ms = (s) => {
    const m = s.match(/([\d.]+)(us|ms|s)/);
    if (!m) return NaN;
    return Number(m[1]) * { us: 0.001, ms: 1, s: 1000 }[m[2]];
  };
  const pct = (p) => ms(out.match(new RegExp(`^\\s+${p}%\\s+(\\S+)`, "m"))?.[1] ?? "");
  const non2xx = Number(out.match(/Non-2xx or 3xx responses: (\d+)/)?.[1] ?? 0);
  const sock = out.match(/Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/)?.slice(1).map(Number) ?? [0, 0, 0, 0];
  return {
    rps: Number(out.match(/Requests\/sec:\s+([\d.]+)/)?.[1] ?? NaN),
    requests: Number(out.match(/(\d+) requests in/)?.[1] ?? 0),
    p50: pct(50),
    p90: pct(90),
    p99: pct(99),
    non2xx,
    read: sock[1],
    timeouts: sock[3],
    pressure,
    errors: non2xx + sock.reduce((a, b) => a + b, 0),
  };
}

/** One request of each seed provider, through the side's socket: 200, and "applied" where it says. */
async function sanity(side, url) {
  for (const [i, r] of seedLoad({ count: 3, pool: 3, start: 0, tag: "sanity" }).entries()) {
    const res = await fetch(url + r.path, { method: "POST", headers: r.headers, body: r.body });
    const text = await res.text();
    let outcome;
    try {
      outcome = JSON.parse(text).outcome;
    } catch {}
    const ok = res.status === 200 && (side === "floor" ? text.includes('"ok":true') : outcome === "applied");
    if (!ok) throw new Error(`${SEED_PROVIDERS[i]}: ${res.status} ${text.slice(0, 200)}`);
  }
}

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
    // Names may hold single spaces ("first char wrong"); columns are two or more spaces apart.
    const m = lines[i].match(/^(.*?)[├╰]─ (\S+(?: \S+)*)\s*(.*)$/);
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

/** Reload to first response, the sides interleaved: 7 reloads each; the probe is one signed
 *  Cloudflare webhook of a new stream (every side serves it), answered 200. */
async function startups(sides) {
  const connected = fixture("cloudflare", "connected.json").json;
  const mfs = {};
  for (const side of sides) {
    mfs[side] = new Miniflare(workerOptions(side));
    await mfs[side].ready;
  }
  const times = Object.fromEntries(sides.map((s) => [s, []]));
  let n = 0;
  try {
    for (let i = 0; i < 7; i++) {
      for (const side of i % 2 ? [...sides].reverse() : sides) {
        const r = sign(freshEvent("cloudflare", connected, { n: n++, tag: "startup" }));
        const t = performance.now();
        await mfs[side].setOptions(workerOptions(side));
        const res = await mfs[side].dispatchFetch(`http://localhost${r.path}`, { method: "POST", headers: r.headers, body: r.body });
        const text = await res.text();
        times[side].push(performance.now() - t);
        if (res.status !== 200) throw new Error(`start-up probe of ${side}: ${res.status} ${text.slice(0, 200)}`);
      }
    }
  } finally {
    for (const mf of Object.values(mfs)) await mf.dispose();
  }
  return times;
}

// ---------- versions ----------

function versions() {
  const sh = (cmd, args) => {
    const r = spawnSync(cmd, args, { encoding: "utf8", cwd: root });
    return (r.stdout || r.stderr || "?").trim().split("\n")[0];
  };
  const lock = readFileSync(path.join(root, "Cargo.lock"), "utf8");
  const crate = (n) => lock.match(new RegExp(`name = "${n}"\\nversion = "([^"]+)"`))?.[1] ?? "?";
  const pkg = (n) => JSON.parse(readFileSync(path.join(root, "node_modules", n, "package.json"), "utf8")).version;
  const dirty = spawnSync("git", ["status", "--porcelain", "--", "src", "crates", "Cargo.toml", "Cargo.lock"], { cwd: root, encoding: "utf8" }).stdout.trim();
  return {
    livehook: `${sh("git", ["rev-parse", "--short", "HEAD"])}${dirty ? " (+ uncommitted changes)" : ""}${process.env.BENCH_BUILD_DIR ? `, build from ${process.env.BENCH_BUILD_DIR}` : ""}`,
    rustc: sh("rustc", ["-V"]),
    node: process.version,
    worker: crate("worker"),
    "wasm-bindgen": crate("wasm-bindgen"),
    miniflare: pkg("miniflare"),
    workerd: pkg("workerd"),
    wrk: sh("wrk", ["-v"]).replace(/ Copyright.*/, ""),
  };
}

// ---------- main ----------

const SIDES = ["livehook", "same-guarantees", "floor", "naive"];

const host = SKIP_HOST ? null : await phase("host micro-benchmarks", hostBenchmarks);

log("sizes and start-up …");
const sizes = Object.fromEntries(
  SIDES.map((side) => {
    const files = sources(side);
    const all = Buffer.concat(files.map((f) => f.bytes));
    return [side, { files, raw: all.length, gzip: gzipSync(all, { level: 9 }).length }];
  }),
);
const boot = await phase("start-up", () => startups(["livehook", "same-guarantees", "naive"]));

loads.push(["before end to end", loadavg()]);
log(`end to end: ${RUNS} runs × ${SECONDS} s per side, ${CONNECTIONS} connections …`);
const results = Object.fromEntries(SIDES.map((s) => [s, []]));
const failed = {};
const perRun = Math.ceil(SECONDS * 4000);
const WARM_COUNT = 2000;
await phase("end to end", async () => {
  const servers = {};
  for (const side of SIDES) servers[side] = await start(side);
  try {
    for (const side of SIDES) {
      try {
        await sanity(side, servers[side].url);
      } catch (e) {
        failed[side] = String(e.message ?? e);
        log(`${LABELS[side]}: sanity check failed, left out: ${failed[side]}`);
      }
    }
    const warm = writeRequestFile(path.join(tmp, "warm.tsv"), seedLoad({ count: WARM_COUNT, pool: 1000, start: 0, tag: "warm" }));
    for (const side of SIDES) if (!failed[side]) await wrk(servers[side].url, warm, 1);
    for (let i = 0; i < RUNS; i++) {
      // The same requests for every side in run i; newer event times than every earlier run's.
      const file = writeRequestFile(path.join(tmp, `run-${i}.tsv`), seedLoad({ count: perRun, pool: POOL, start: WARM_COUNT + i * perRun, tag: `run${i}` }));
      // Alternating: each run starts with another side.
      for (const side of SIDES.map((_, k) => SIDES[(k + i) % SIDES.length])) {
        if (failed[side]) continue;
        const r = await wrk(servers[side].url, file, SECONDS);
        log(`${LABELS[side]} run ${i + 1}: ${fmt(r.rps)} req/s, p50 ${fmt(r.p50, 2)} ms, p99 ${fmt(r.p99, 2)} ms, errors ${r.errors} (non-2xx ${r.non2xx}, read ${r.read}, timeouts ${r.timeouts}), CPU pressure ${fmt(r.pressure, 0)} %`);
        results[side].push(r);
      }
    }
  } finally {
    for (const s of Object.values(servers)) await s.mf.dispose();
  }
});

log("scale: livehook with 10, 1 000 and 100 000 distinct streams …");
const scale = await phase("scale", async () => {
  const out = [];
  for (const pool of [10, 1_000, 100_000]) {
    const fresh = await start("livehook");
    try {
      const file = writeRequestFile(path.join(tmp, `scale-${pool}.tsv`), seedLoad({ count: perRun, pool, start: 0, tag: `scale${pool}` }));
      const r = await wrk(fresh.url, file, SECONDS);
      log(`${pool} streams: ${fmt(r.rps)} req/s, p50 ${fmt(r.p50, 2)} ms, errors ${r.errors}, CPU pressure ${fmt(r.pressure, 0)} %`);
      out.push({ pool, ...r });
    } finally {
      await fresh.mf.dispose();
    }
  }
  return out;
});

let cpu = null;
if (!SKIP_CPU) {
  loads.push(["before CPU", loadavg()]);
  log(`CPU per webhook: ${CPU.runs} runs × 7 providers × 2 sides, ${CPU.n} requests each …`);
  cpu = await phase("CPU per webhook", () => measureCpu({ ...CPU, log: (...a) => log(...a) }));
}
loads.push(["end", loadavg()]);

// ---------- the report ----------

const out = [];
const row = (...cells) => out.push(`| ${cells.join(" | ")} |`);
const shown = SIDES.filter((s) => !failed[s] && results[s].length);
const pick = {
  "req/s": (r) => r.rps,
  "latency p50, ms": (r) => r.p50,
  "latency p99, ms": (r) => r.p99,
};
// livehook ÷ another side, per run pair (same run index), as median (min–max).
const ratios = (other, f) => results.livehook.map((r, i) => f(r) / f(results[other][i]));
const ratio = (other, f) => {
  if (failed.livehook || failed[other] || !results.livehook.length) return "n/a";
  const rs = ratios(other, f);
  return `${fmt(median(rs), 2)}× (${fmt(Math.min(...rs), 2)}–${fmt(Math.max(...rs), 2)})`;
};

out.push(
  "## End to end",
  "",
  `wrk -t1 -c${CONNECTIONS}, ${SECONDS} s per run, ${RUNS} runs per side, the four sides alternating (run i starts with side i); median (min–max) of the runs. CPU pressure: the share of each run during which some task waited for a CPU (/proc/pressure/cpu), i.e. how much the machine's other work got in the way.`,
  "",
  `| end to end | ${SIDES.map((s) => LABELS[s]).join(" | ")} |`,
  `|---|${SIDES.map(() => "---|").join("")}`,
);
for (const [name, f] of Object.entries(pick)) {
  row(name, ...SIDES.map((s) => (failed[s] ? `error: ${failed[s].replaceAll("|", "\\|")}` : spread(results[s].map(f), name === "req/s" ? 1 : 2))));
}
row("latency p90, ms", ...SIDES.map((s) => (failed[s] ? "" : spread(results[s].map((r) => r.p90), 2))));
const sum = (s, k) => results[s].reduce((a, r) => a + r[k], 0);
row("errors / requests (non-2xx, read errors, timeouts > 2 s)", ...SIDES.map((s) => (failed[s] ? "" : `${sum(s, "errors")} / ${sum(s, "requests")} (${sum(s, "non2xx")}, ${sum(s, "read")}, ${sum(s, "timeouts")})`)));
row("CPU pressure during the runs, % (PSI some)", ...SIDES.map((s) => (failed[s] ? "" : spread(results[s].map((r) => r.pressure), 0))));

out.push(
  "",
  "livehook ÷ the other side, per run pair (same run index): median (min–max). For req/s higher is better for livehook; for latency lower is.",
  "",
  `| livehook ÷ | ${LABELS["same-guarantees"]} (target ≥ 1.0× req/s) | ${LABELS.floor} (target ≥ 0.9× req/s) | ${LABELS.naive} |`,
  "|---|---|---|---|",
);
for (const [name, f] of Object.entries(pick)) row(name, ratio("same-guarantees", f), ratio("floor", f), ratio("naive", f));
const target = (other, goal) => {
  if (failed.livehook || failed[other] || !results.livehook.length) return "n/a";
  const m = median(ratios(other, pick["req/s"]));
  return m >= goal ? `met (${fmt(m, 2)}× ≥ ${goal}×)` : `not met (${fmt(m, 2)}× < ${goal}×)`;
};
row("req/s target", target("same-guarantees", 1.0), target("floor", 0.9), "(context)");
// The pairs where neither run was slowed by the machine's other work.
const quiet = (other) => {
  if (failed.livehook || failed[other] || !results.livehook.length) return "n/a";
  const idx = results.livehook.map((r, i) => i).filter((i) => results.livehook[i].pressure <= QUIET && results[other][i].pressure <= QUIET);
  if (!idx.length) return `no quiet pair (of ${results.livehook.length})`;
  const rs = idx.map((i) => results.livehook[i].rps / results[other][i].rps);
  return `${fmt(median(rs), 2)}× (${fmt(Math.min(...rs), 2)}–${fmt(Math.max(...rs), 2)}), ${idx.length} of ${results.livehook.length} pairs`;
};
row(`req/s, quiet pairs only (CPU pressure ≤ ${QUIET} % in both runs)`, quiet("same-guarantees"), quiet("floor"), quiet("naive"));

out.push("", `Every run (req/s, p50 ms, CPU pressure %), in the order they ran within each run:`, "", `| run | ${SIDES.map((s) => LABELS[s]).join(" | ")} |`, `|---|${SIDES.map(() => "---|").join("")}`);
for (let i = 0; i < RUNS; i++) {
  row(`${i + 1} (${SIDES.map((_, k) => SIDES[(k + i) % SIDES.length]).filter((s) => !failed[s]).map((s) => LABELS[s].split(" (")[0]).join(" → ")})`, ...SIDES.map((s) => {
    const r = results[s][i];
    return r ? `${fmt(r.rps)}, ${fmt(r.p50, 1)} ms, ${fmt(r.pressure, 0)} %` : "";
  }));
}

out.push(
  "",
  "The load: unique signed seed payloads (Cloudflare, FastPix and Gcore round-robin, each cycling through its fixtures) over 10 000 stream ids, the same requests for every side in a run, each run's events newer than the previous run's (so later runs are not stale repeats); a 1 s warm-up per side first (2 000 requests over 1 000 of the ids). The naive baseline knows only these three providers.",
  "",
  "## Start-up, size, scale",
  "",
  `| | ${LABELS.livehook} | ${LABELS["same-guarantees"]} | ${LABELS.naive} | livehook − JS, same guarantees | livehook − naive |`,
  "|---|---|---|---|---|---|",
);
const bootMed = Object.fromEntries(Object.entries(boot).map(([s, t]) => [s, median(t)]));
row(
  "start-up: reload to first webhook answer, ms, median (min–max) of 7",
  spread(boot.livehook),
  spread(boot["same-guarantees"]),
  spread(boot.naive),
  `${bootMed.livehook - bootMed["same-guarantees"] >= 0 ? "+" : ""}${fmt(bootMed.livehook - bootMed["same-guarantees"])} ms`,
  `${bootMed.livehook - bootMed.naive >= 0 ? "+" : ""}${fmt(bootMed.livehook - bootMed.naive)} ms`,
);
const size = (s) => `${int(sizes[s].raw)} / ${int(sizes[s].gzip)}`;
row(
  "code size raw / gzip -9, bytes",
  `${size("livehook")} (${sizes.livehook.files.map((f) => `${f.name} ${int(f.bytes.length)} / ${int(gzipSync(f.bytes, { level: 9 }).length)}`).join(", ")})`,
  `${size("same-guarantees")} (${sizes["same-guarantees"].files.length} modules, gzip of them concatenated)`,
  size("naive"),
  "",
  "",
);
out.push(
  "",
  "Start-up: `setOptions` with the same options (workerd re-instantiates the worker), then one signed Cloudflare `live_input.connected` webhook of a new stream, until its 200; the three sides interleaved. The platform floor's code is " + size("floor") + " bytes.",
  "",
  `| livehook alone, by distinct streams (${SECONDS} s, fresh workerd each) | req/s | p50 / p99, ms | errors | CPU pressure, % |`,
  "|---|---|---|---|---|",
);
for (const s of scale) row(`${int(s.pool)} streams`, fmt(s.rps), `${fmt(s.p50, 2)} / ${fmt(s.p99, 2)}`, `${s.errors} / ${s.requests}`, fmt(s.pressure, 0));

out.push("", "## CPU per webhook inside workerd", "");
if (cpu) out.push(cpuTable(cpu));
else out.push("Skipped (BENCH_SKIP_CPU=1).");

if (host) {
  out.push("", "## Host micro-benchmarks", "", "| host micro-benchmark (one core, divan median) | ns/event | events/s |", "|---|---|---|");
  for (const [name, r] of Object.entries(host)) {
    const ns = Number.isFinite(r.itemsPerSec) ? 1e9 / r.itemsPerSec : r.medianNs;
    row(name, fmt(ns, 0), Number.isFinite(r.itemsPerSec) ? fmt(r.itemsPerSec, 0) : "");
  }
}

const v = versions();
const totalS = process.env.BENCH_STARTED_MS ? (Date.now() - Number(process.env.BENCH_STARTED_MS)) / 1000 : (performance.now() - began) / 1000;
const phaseText = [
  ...(process.env.BENCH_BUILD_MS ? [["build", Number(process.env.BENCH_BUILD_MS) / 1000]] : []),
  ...phases,
].map(([n, s]) => `${n} ${fmt(s, 0)} s`).join(", ");
const header = [
  "# livehook benchmark results",
  "",
  `Date: ${new Date().toISOString()}  `,
  `Machine: ${os.cpus()[0]?.model ?? "?"}, ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${os.platform()} ${os.release()}  `,
  `Load average (1 / 5 / 15 min, /proc/loadavg): ${loads.map(([at, l]) => `${at} ${l}`).join("; ")}  `,
  `Versions: ${Object.entries(v).map(([k, x]) => `${k} ${x}`).join(", ")}  `,
  `Took: ${fmt(totalS / 60, 1)} min${process.env.BENCH_STARTED_MS ? " (`npm run bench`, build included)" : " (bench/run.mjs)"}: ${phaseText}  `,
  `Load: end to end, wrk -t1 -c${CONNECTIONS}, ${SECONDS} s per run, ${RUNS} runs per side alternating, unique signed seed payloads (Cloudflare, FastPix, Gcore round-robin) over 10 000 stream ids; every worker under workerd (miniflare) on 127.0.0.1 with local KV and SQLite-backed Durable Objects (all but the naive baseline). CPU per webhook: all seven providers, in-memory Durable Objects${cpu ? `, ${CPU.runs} runs × ${CPU.n} requests per provider and side` : " (skipped)"}.`,
  "",
  "Sides: **livehook** (the Rust/Wasm build); **JS, same guarantees** (`bench/same-guarantees/`: livehook's design in JavaScript, the same routes, authentication, ordering, de-duplication, one storage write per event, KV coalescing and alert outbox); **platform floor** (`bench/floor/worker.js`: worker → the stream's Durable Object through JS RPC → one storage put → one KV put, no parsing, authentication or logic); **naive JS** (`bench/baseline/worker.js`: parse, verify, one KV put; no ordering, de-duplication or alerts: what the guarantees cost).",
  "",
];
const text = header.concat(out).join("\n") + "\n";
const resultsFile = process.env.BENCH_RESULTS ?? path.join(root, "bench/results.md");
writeFileSync(resultsFile, text);
console.log(text);
