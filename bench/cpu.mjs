// Isolate CPU time per webhook under workerd, per provider, for livehook and "JS, same
// guarantees" (the method of /work/shared/TOOLCHAIN.md "CPU time per request under workerd",
// written for the bench). Locally, tail events report `cpuTime: 0` and `performance.now()` is
// wall-clock, so the time is counted with the V8 sampling profiler instead:
//
//   1. Miniflare with `inspectorPort` and in-memory Durable Objects (`unsafeEphemeralDurableObjects`:
//      with on-disk SQLite the caller blocks ≈ 3 ms on storage I/O, which the sampler would count);
//      CDP over the inspector's WebSocket to the worker's target `core:user:<name>` (its Durable
//      Objects run in the same isolate).
//   2. Per provider: a warm-up of `warm` requests, a pause (their alarms fire), Profiler.start,
//      `n` sequential requests, each a new event of a new stream (a new Durable Object, as most
//      of the end-to-end load is), every answer checked (200 and outcome "applied"), then a
//      settle pause so waitUntil work and alarms land in the window.
//   3. In-band tick calibration: V8 records a sample only while the isolate is entered, so
//      `timeDeltas` include idle gaps; the real tick period T (longer than the requested interval
//      on these machines) is measured from a busy loop run with Runtime.evaluate in the same
//      isolate, with Runtime enabled only after the requests (while it is on, every console.log
//      is also serialized to the inspector): the loop's wall time per sample, or, when the
//      isolate's thread was kept off a CPU part of that time by other processes, its on-CPU time
//      per sample (/proc schedstat), whichever is smaller.
//   4. CPU per webhook = samples in the window that are not `(idle)` × T ÷ n, with the 1-sigma
//      sampling error √samples × T ÷ n.
//
// Sides alternate per run (livehook first in even runs), ≥ 3 runs; each run starts a fresh
// workerd per side. A provider whose requests do not all answer as expected gets no number.
//
//   node bench/cpu.mjs [--runs=3] [--n=300] [--warm=150] [--interval=250] [--settle=1500]
//                      [--providers=cloudflare,mux] [--sides=livehook,same-guarantees]
//                      [--events=cloudflare:seed-001-errored-fixed.json]   (another fixture per provider)
// run.mjs imports `measureCpu` and `cpuTable`.
import { Miniflare } from "miniflare";
import WebSocket from "ws";
import { readFileSync, readdirSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { PROVIDERS, fixture, freshEvent, sign } from "./requests.mjs";
import { LABELS, workerOptions } from "./workers.mjs";

/** The event each provider is measured with: its "stream goes live" webhook (no alert). */
export const CPU_EVENTS = {
  cloudflare: "connected.json",
  "cloudflare-stream": "video-ready.json",
  fastpix: "live-stream-active.json",
  gcore: "stream-started.json",
  ivs: "stream-start.json",
  livepeer: "stream-started.json",
  mux: "live-stream-active.json",
};

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
// CLOCK_MONOTONIC in µs: the clock of V8's sample timestamps in workerd.
const nowUs = () => Number(process.hrtime.bigint() / 1000n);

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** The workerd process Miniflare started for this process (Linux /proc), or null. */
function workerdPid() {
  try {
    for (const p of readdirSync("/proc")) {
      if (!/^\d+$/.test(p)) continue;
      try {
        const stat = readFileSync(`/proc/${p}/stat`, "utf8");
        const [, comm, rest] = stat.match(/^\d+ \((.*)\) (.*)$/s) ?? [];
        if (comm === "workerd" && Number(rest.split(" ")[1]) === process.pid) return p;
      } catch {}
    }
  } catch {}
  return null;
}

/** On-CPU time of every thread of `pid`, µs (schedstat). */
function threadCpu(pid) {
  const out = new Map();
  if (!pid) return out;
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        out.set(tid, Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8").split(" ")[0]) / 1000);
      } catch {}
    }
  } catch {}
  return out;
}

/** µs some task waited for a CPU since boot (Linux PSI), or NaN. */
function cpuStallUs() {
  try {
    return Number(readFileSync("/proc/pressure/cpu", "utf8").match(/^some .*total=(\d+)/m)[1]);
  } catch {
    return NaN;
  }
}

/** A minimal CDP client over the inspector's WebSocket. */
async function cdp(url) {
  const ws = new WebSocket(url, { perMessageDeflate: false, maxPayload: 1 << 30 });
  let nextId = 1;
  const pending = new Map();
  const events = [];
  ws.on("message", (data) => {
    const msg = JSON.parse(String(data));
    if (msg.method) events.push(msg);
    const p = msg.id && pending.get(msg.id);
    if (p) {
      pending.delete(msg.id);
      if (msg.error) p.reject(new Error(`${p.method}: ${JSON.stringify(msg.error)}`));
      else p.resolve(msg.result);
    }
  });
  ws.on("close", () => {
    for (const p of pending.values()) p.reject(new Error(`${p.method}: inspector closed`));
    pending.clear();
  });
  await new Promise((resolve, reject) => {
    ws.once("open", resolve);
    ws.once("error", reject);
  });
  return {
    events,
    send(method, params = {}) {
      const id = nextId++;
      ws.send(JSON.stringify({ id, method, params }));
      return new Promise((resolve, reject) => pending.set(id, { resolve, reject, method }));
    },
    close: () => ws.close(),
  };
}

function classify(frame) {
  const { functionName: name, url } = frame;
  if (name === "(idle)") return "idle";
  if (name === "(program)" || name === "(root)") return "program";
  if (name === "(garbage collector)") return "gc";
  if (url.startsWith("wasm://") || /^\$?wasm-function|^js-to-wasm|^wasm-to-js/.test(name)) return "wasm";
  if (!url) return "native";
  return "js";
}

/** Sends one request and checks its answer: 200, JSON, outcome "applied". */
async function sendChecked(mf, prepared) {
  const { path: p, headers, body } = sign(prepared);
  const res = await mf.dispatchFetch(`http://localhost${p}`, { method: "POST", headers, body });
  const text = await res.text();
  let outcome;
  try {
    outcome = JSON.parse(text).outcome;
  } catch {}
  if (res.status !== 200 || outcome !== "applied") throw new Error(`${p} answered ${res.status} ${text.slice(0, 200)}`);
}

/**
 * One side in one run: a fresh workerd, then every provider in turn. Returns
 * `{[provider]: {us, sigma, samples, T, wallUs, cats, fns} | {error}}`.
 */
async function measureSide(side, run, { providers, n, warm, interval, settle, log }) {
  const port = await freePort();
  const mf = new Miniflare({ ...workerOptions(side), inspectorPort: port, unsafeEphemeralDurableObjects: true });
  const out = {};
  let c;
  try {
    await mf.ready;
    const targets = await (await fetch(`http://127.0.0.1:${port}/json`)).json();
    const target = targets.find((t) => t.id === `core:user:${side}`);
    if (!target) throw new Error(`no inspector target core:user:${side} (have ${targets.map((t) => t.id).join(", ")})`);
    c = await cdp(target.webSocketDebuggerUrl.replace("localhost", "127.0.0.1"));
    await c.send("Profiler.enable");
    await c.send("Profiler.setSamplingInterval", { interval });
    const pid = workerdPid();
    let serial = 0;
    for (const provider of providers) {
      const json = fixture(provider, CPU_EVENTS[provider]).json;
      // Stream ids unique in this workerd: every request makes a new Durable Object.
      const event = () => freshEvent(provider, json, { n: serial++, tag: `r${run}` });
      let profiling = false;
      try {
        for (let i = 0; i < warm; i++) await sendChecked(mf, event());
        await sleep(settle); // the warm-up's alarms and deferred work end before the window
        const requests = Array.from({ length: n }, event);
        await c.send("Profiler.start");
        profiling = true;
        const win0 = nowUs();
        const stall0 = cpuStallUs();
        for (const r of requests) await sendChecked(mf, r);
        const wallUs = (nowUs() - win0) / n;
        await sleep(settle); // waitUntil work and alarms of the measured requests land in the window
        const win1 = nowUs();
        const pressure = ((cpuStallUs() - stall0) / (win1 - win0)) * 100;
        // Calibration: a busy loop in the same isolate; its samples are back-to-back ticks.
        const seen = c.events.length;
        await c.send("Runtime.enable");
        await sleep(50);
        const ctx = c.events.slice(seen).find((e) => e.method === "Runtime.executionContextCreated")?.params?.context?.id;
        const cpu0 = threadCpu(pid);
        const a0 = nowUs();
        await c.send("Runtime.evaluate", { ...(ctx !== undefined ? { contextId: ctx } : {}), expression: "{ let x = 0; for (let i = 0; i < 3e7; i++) x = (x * 31 + i) % 1000003; x }" });
        const a1 = nowUs();
        const cpu1 = threadCpu(pid);
        await c.send("Runtime.disable");
        const { profile } = await c.send("Profiler.stop");
        profiling = false;
        let t = profile.startTime;
        const ts = profile.timeDeltas.map((d) => (t += d));
        const cal = ts.filter((x) => x >= a0 && x <= a1);
        if (cal.length < 20) throw new Error(`calibration: only ${cal.length} samples in the busy loop`);
        // The tick period: the loop's time per sample. Wall time between its first and last
        // samples over their count, unless the isolate's thread was not on a CPU all that time
        // (other processes on the 2 cores): V8's profiling signal is then held while the thread
        // waits, so samples follow on-CPU time, and the loop's on-CPU time (the busiest workerd
        // thread's schedstat, Linux) over its sample count is the period to use. T is the smaller
        // of the two (the on-CPU one also counts the thread's work outside the isolate).
        const Twall = (cal[cal.length - 1] - cal[0]) / (cal.length - 1);
        let onCpu = 0;
        for (const [tid, us] of cpu1) onCpu = Math.max(onCpu, us - (cpu0.get(tid) ?? us));
        const loopWall = a1 - a0;
        const Tcpu = onCpu > 0 ? onCpu / cal.length : NaN;
        const T = Number.isFinite(Tcpu) ? Math.min(Twall, Tcpu) : Twall;
        const byId = new Map(profile.nodes.map((node) => [node.id, node]));
        const parent = new Map();
        for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node);
        const cats = { js: 0, wasm: 0, native: 0, gc: 0, program: 0, idle: 0 };
        const fns = new Map();
        let entered = 0;
        profile.samples.forEach((id, i) => {
          if (ts[i] < win0 || ts[i] > win1) return;
          const frame = byId.get(id).callFrame;
          const cat = classify(frame);
          cats[cat]++;
          if (cat === "idle") return;
          entered++;
          // An unnamed native frame is named by its caller.
          let name = frame.functionName;
          if (!name) {
            const up = parent.get(id)?.callFrame;
            name = `(anonymous)${up ? ` called by ${up.functionName || "(anonymous)"}${up.url ? ` (${path.basename(up.url)})` : ""}` : ""}`;
          }
          const key = `${cat}\t${name}\t${frame.url ? path.basename(frame.url) : ""}`;
          fns.set(key, (fns.get(key) ?? 0) + 1);
        });
        out[provider] = { us: (entered * T) / n, sigma: (Math.sqrt(entered) * T) / n, samples: entered, T, Twall, Tcpu, wallUs, pressure, cats, fns, n };
        log(`cpu ${LABELS[side]} run ${run + 1} ${provider}: ${out[provider].us.toFixed(0)} ± ${out[provider].sigma.toFixed(0)} µs/webhook (${entered} samples, T ${T.toFixed(0)} µs [wall ${Twall.toFixed(0)}, on-CPU ${Number.isFinite(Tcpu) ? Tcpu.toFixed(0) : "n/a"}; loop ${cal.length} samples, ${(onCpu / 1000).toFixed(0)} of ${(loopWall / 1000).toFixed(0)} ms on CPU], wall ${wallUs.toFixed(0)} µs/request, CPU pressure ${pressure.toFixed(0)} %)`);
      } catch (e) {
        if (profiling) await c.send("Profiler.stop").catch(() => {});
        out[provider] = { error: String(e.message ?? e) };
        log(`cpu ${LABELS[side]} run ${run + 1} ${provider}: ERROR ${out[provider].error}`);
      }
    }
  } catch (e) {
    for (const provider of providers) out[provider] ??= { error: String(e.message ?? e) };
    log(`cpu ${LABELS[side]} run ${run + 1}: ERROR ${e.message ?? e}`);
  } finally {
    c?.close();
    await mf.dispose();
  }
  return out;
}

/**
 * Runs the measurement: `{runs: {[side]: [per run: {[provider]: result}]}, options}`. Sides
 * alternate per run.
 */
export async function measureCpu({
  sides = ["livehook", "same-guarantees"],
  providers = PROVIDERS,
  runs = 3,
  n = 300,
  warm = 150,
  interval = 250,
  settle = 1500,
  log = (...a) => console.error(...a),
} = {}) {
  const results = Object.fromEntries(sides.map((s) => [s, []]));
  for (let run = 0; run < runs; run++) {
    const order = run % 2 ? [...sides].reverse() : sides;
    for (const side of order) results[side][run] = await measureSide(side, run, { providers, n, warm, interval, settle, log });
  }
  return { runs: results, options: { sides, providers, runs, n, warm, interval, settle } };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const f0 = (x) => (Number.isFinite(x) ? Math.round(x).toLocaleString("en-US").replaceAll(",", " ") : "n/a");

/** `{median, min, max, sigma}` of one side and provider over the runs, or `{error}`. */
export function summarize(result, side, provider) {
  const rs = result.runs[side].map((r) => r[provider]);
  const bad = rs.find((r) => !r || r.error);
  if (bad) return { error: bad?.error ?? "not measured" };
  const us = rs.map((r) => r.us);
  return { median: median(us), min: Math.min(...us), max: Math.max(...us), sigma: median(rs.map((r) => r.sigma)), wall: median(rs.map((r) => r.wallUs)), T: median(rs.map((r) => r.T)) };
}

/** Per category and per function: µs per webhook pooled over every run and provider of `side`. */
export function breakdown(result, side) {
  const cats = {};
  const fns = new Map();
  let requests = 0;
  for (const run of result.runs[side]) {
    for (const r of Object.values(run)) {
      if (!r || r.error) continue;
      requests += r.n;
      for (const [k, v] of Object.entries(r.cats)) if (k !== "idle") cats[k] = (cats[k] ?? 0) + v * r.T;
      for (const [k, v] of r.fns) fns.set(k, (fns.get(k) ?? 0) + v * r.T);
    }
  }
  const per = (x) => x / requests;
  return {
    requests,
    cats: Object.fromEntries(Object.entries(cats).map(([k, v]) => [k, per(v)])),
    top: [...fns].sort((a, b) => b[1] - a[1]).map(([k, v]) => {
      const [cat, name, url] = k.split("\t");
      return { cat, name, url, us: per(v) };
    }),
  };
}

/** The markdown for bench/results.md: CPU per provider, categories, livehook's top entries. */
export function cpuTable(result, { top = 12 } = {}) {
  const { sides, providers, runs, n, warm, interval } = result.options;
  const [a, b] = sides;
  const lines = [];
  lines.push(
    `Isolate CPU per webhook, µs: median (min–max) of ${runs} runs, ± the 1-sigma sampling error (median of the runs'); ${n} sequential requests per provider and run after ${warm} of warm-up, each a new stream (a new Durable Object, in memory), profiler interval ${interval} µs, tick period calibrated in-band; wall is the median time per request seen by the caller.`,
    "",
    `| provider (event) | ${sides.map((s) => LABELS[s]).join(" | ")} | ${LABELS[a]} ÷ ${LABELS[b]} | wall per request, µs (${sides.map((s) => LABELS[s]).join(" / ")}) |`,
    `|---|${sides.map(() => "---|").join("")}---|---|`,
  );
  const cell = (s) => (s.error ? `error: ${s.error.slice(0, 120).replaceAll("|", "\\|")}` : `${f0(s.median)} (${f0(s.min)}–${f0(s.max)}) ± ${f0(s.sigma)}`);
  const all = Object.fromEntries(sides.map((s) => [s, []]));
  for (const provider of providers) {
    const ss = sides.map((s) => summarize(result, s, provider));
    ss.forEach((s, i) => !s.error && all[sides[i]].push(s.median));
    // The ratio per run (same run index), as median (min–max).
    let ratio = "";
    if (!ss[0].error && !ss[1]?.error && b) {
      const rs = result.runs[a].map((r, i) => r[provider].us / result.runs[b][i][provider].us);
      ratio = `${median(rs).toFixed(2)}× (${Math.min(...rs).toFixed(2)}–${Math.max(...rs).toFixed(2)})`;
    }
    lines.push(`| ${provider} (\`${CPU_EVENTS[provider]}\`) | ${ss.map(cell).join(" | ")} | ${ratio} | ${ss.map((s) => (s.error ? "–" : f0(s.wall))).join(" / ")} |`);
  }
  if (sides.every((s) => all[s].length === providers.length)) {
    lines.push(`| median of the providers | ${sides.map((s) => f0(median(all[s]))).join(" | ")} | ${b ? `${(median(all[a]) / median(all[b])).toFixed(2)}×` : ""} | |`);
  }
  lines.push("", `| where the CPU goes, µs per webhook (all providers and runs pooled) | ${sides.map((s) => LABELS[s]).join(" | ")} |`, `|---|${sides.map(() => "---|").join("")}`);
  const bd = Object.fromEntries(sides.map((s) => [s, breakdown(result, s)]));
  const CAT = { js: "JavaScript (for livehook: the glue and entry)", wasm: "Wasm (incl. JS↔Wasm transitions)", native: "native: runtime API calls (KV, storage, Durable Object stubs, crypto, Response…)", gc: "garbage collector", program: "(program): V8 and runtime work outside any JS frame" };
  for (const [k, label] of Object.entries(CAT)) lines.push(`| ${label} | ${sides.map((s) => f0(bd[s].cats[k] ?? 0)).join(" | ")} |`);
  lines.push(`| total | ${sides.map((s) => f0(Object.values(bd[s].cats).reduce((x, y) => x + y, 0))).join(" | ")} |`);
  const pressure = sides.map((s) => result.runs[s].flatMap((run) => Object.values(run).filter((r) => r && !r.error).map((r) => r.pressure)));
  if (pressure.every((p) => p.length && p.every(Number.isFinite))) {
    lines.push("", `CPU pressure during the measured windows (share of time some task waited for a CPU, /proc/pressure/cpu), median (min–max): ${sides.map((s, i) => `${LABELS[s]} ${median(pressure[i]).toFixed(0)} % (${Math.min(...pressure[i]).toFixed(0)}–${Math.max(...pressure[i]).toFixed(0)})`).join(", ")}. The tick period is calibrated on on-CPU time when the isolate's thread was kept waiting, so the figures hold under that load; the wall times do not.`);
  }
  for (const s of sides) {
    if (!bd[s].requests) continue;
    const what = s === "livehook" ? "livehook (where the glue goes)" : LABELS[s];
    const count = s === "livehook" ? top : Math.ceil(top / 2);
    lines.push("", `Top self-time entries of ${what}, µs per webhook, all providers and runs pooled (${bd[s].requests} requests; an unnamed native frame is named by its caller):`, "", "| µs | category | function | script |", "|---|---|---|---|");
    for (const e of bd[s].top.slice(0, count)) lines.push(`| ${e.us.toFixed(1)} | ${e.cat} | \`${e.name}\` | ${e.url} |`);
  }
  return lines.join("\n");
}

// ---- standalone ----
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const arg = (k, d) => process.argv.find((x) => x.startsWith(`--${k}=`))?.split("=")[1] ?? d;
  for (const pair of arg("events", "").split(",").filter(Boolean)) {
    const [provider, file] = pair.split(":");
    CPU_EVENTS[provider] = file;
  }
  const result = await measureCpu({
    runs: Number(arg("runs", 3)),
    n: Number(arg("n", 300)),
    warm: Number(arg("warm", 150)),
    interval: Number(arg("interval", 250)),
    settle: Number(arg("settle", 1500)),
    providers: arg("providers", PROVIDERS.join(",")).split(","),
    sides: arg("sides", "livehook,same-guarantees").split(","),
  });
  console.log(cpuTable(result));
}
