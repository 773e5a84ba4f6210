// `npm run load:reconcile`: how long a full round of reconcile checks takes for a Cloudflare
// account with many live inputs (10 000 by default), against the local Cloudflare stand-in
// (tests/stand-ins/apis/cloudflare.mjs) and the real built worker under miniflare (as the specs
// run it), with the Cron Trigger fired every minute as Cloudflare fires it.
//
// A round is every listed input asked about once (Cloudflare's listing carries no status, so
// each input costs one request). The budget (half of Cloudflare's 1 200 requests per 5 minutes)
// bounds it: 600 requests a window, one of them the listing. It prints, every pass: the pass's
// wall time, requests so far, the most requests in any 5-minute window, inputs asked about, and
// at the end the round's time as /healthz reports it (`reconcile.cloudflare.round_seconds`).
//
// Options: --inputs=10000 --interval=60 (seconds between passes) --max-minutes=120.
import { startWorker } from "../helpers.mjs";
import { startCloudflare } from "../stand-ins/apis/cloudflare.mjs";
import { arg, percentiles } from "./common.mjs";

const INPUTS = arg("inputs", 10_000);
const INTERVAL_S = arg("interval", 60);
const MAX_MINUTES = arg("max-minutes", 120);
const WINDOW_MS = 300_000;

/** KV keys under `prefix`, page after page. */
async function countKeys(prefix) {
  let n = 0;
  let cursor;
  do {
    const page = await w.kv.list({ prefix, cursor });
    n += page.keys.length;
    cursor = page.list_complete ? undefined : page.cursor;
  } while (cursor);
  return n;
}

const cf = await startCloudflare();
// One in a hundred on air, a third never connected (no status), the rest disconnected.
cf.setStreams(cf.generate(INPUTS, { state: (i) => (i % 100 === 0 ? "live" : i % 3 === 0 ? null : "disconnected") }));
const w = await startWorker({ vars: { ...cf.env, ALERT_ALLOW_LOOPBACK: "true" } });
const worker = await w.mf.getWorker();
const started = Date.now();
const passes = [];
let round = null;
console.log(`reconcile round: ${INPUTS} Cloudflare inputs, a pass every ${INTERVAL_S} s`);
try {
  while (Date.now() - started < MAX_MINUTES * 60_000) {
    const at = Date.now();
    await worker.scheduled({ cron: "* * * * *" });
    const ms = Date.now() - at;
    passes.push(ms);
    const health = (await (await w.mf.dispatchFetch("http://localhost/healthz")).json()).reconcile.cloudflare;
    const asked = new Set(cf.inputRequests().map((r) => r.route)).size;
    const minute = ((Date.now() - started) / 60_000).toFixed(1);
    console.log(`${minute} min: pass ${passes.length} took ${ms} ms; ${cf.requests.length} requests, at most ${cf.countIn(WINDOW_MS)} in 5 min; ${asked}/${INPUTS} inputs asked; last error ${health.last_error?.category ?? "none"}`);
    if (health.round_seconds !== null && health.round_seconds !== undefined) {
      round = health.round_seconds;
      break;
    }
    await new Promise((r) => setTimeout(r, Math.max(0, INTERVAL_S * 1000 - (Date.now() - at))));
  }
  const p = percentiles(passes);
  console.log(JSON.stringify({
    inputs: INPUTS,
    round_seconds: round,
    round_minutes: round === null ? null : +(round / 60).toFixed(1),
    passes: passes.length,
    pass_ms: { p50: p.p50, p99: p.p99, max: Math.max(...passes) },
    requests: cf.requests.length,
    max_requests_in_5_min: cf.countIn(WINDOW_MS),
    problems: cf.problems.length,
    records: await countKeys("status:cloudflare:"),
  }, null, 1));
  if (round === null) process.exitCode = 1;
} finally {
  await w.mf.dispose();
  await cf.close();
}
