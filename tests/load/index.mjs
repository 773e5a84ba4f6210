// `npm run load:index` (= `npm run load -- --scenario=index`): how fast "what is broken right
// now?" is answered with 10 000 streams and 2 000 open incidents, against `npm run dev` (started
// here on LOAD_URL, default http://127.0.0.1:8787, with fresh state, unless one already answers
// there).
//
// Makes 10 000 Cloudflare live inputs (8 000 `live_input.connected`, 2 000 `live_input.errored`,
// shuffled, 16 at a time), waits until the 2 000 incidents are listed open, then times 20 runs
// each (after one untimed warm-up call) of:
// - `GET /incidents?state=open&limit=50` (the first page), the page after it (its cursor), and
//   the page after the first 1 000 (a cursor from deep in the index);
// - `GET /incidents?state=open&limit=200`;
// - `GET /streams?state=errored` (default limit 50) and `&limit=100`, for comparison: that route
//   filters one page of KV keys, so its first page holds only the errored ones among 50 streams;
// and 3 runs of each full walk (every page via the cursor): `GET /incidents?state=open&limit=200`
// and `GET /streams?state=errored&limit=100`, with how many rows each found. Prints p50/p99/max.
// Exits non-zero if an incident is missing or anything answers 5xx (or not at all).
//
// Options: --streams=10000 --errored=2000 --concurrency=16 --runs=20, --keep-state.
import { BASE, Statuses, arg, cfLiveInput, ensureDev, get, percentiles, pool, post, run, sleep, walkIncidents } from "./common.mjs";

const STREAMS = arg("streams", 10_000);
const ERRORED = arg("errored", 2000);
const CONCURRENCY = arg("concurrency", 16);
const RUNS = arg("runs", 20);
const prefix = `idx${run}s`;

/** `RUNS` timed calls of `path` after one untimed one; percentiles, rows, statuses. */
async function timeGet(path, statuses, runs = RUNS) {
  const first = await get(path);
  statuses.add(first.status);
  const ms = [];
  let rows = null;
  let cursor = null;
  for (let i = 0; i < runs; i++) {
    const r = await get(path);
    statuses.add(r.status);
    ms.push(r.ms);
    rows = (r.body?.incidents ?? r.body?.streams)?.length ?? null;
    cursor = r.body?.cursor ?? null;
  }
  return { path, ...percentiles(ms), rows, next_cursor: cursor != null };
}

/** Every errored stream of this run via `GET /streams?state=errored&limit=100` and the cursor. */
async function walkStreams(statuses) {
  const t = performance.now();
  let cursor = null;
  let pages = 0;
  let found = 0;
  let emptyPages = 0;
  do {
    const r = await get(`/streams?state=errored&limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
    statuses.add(r.status);
    if (r.status !== 200) return { pages, found, empty_pages: emptyPages, ms: performance.now() - t, failed: r.status };
    pages++;
    const mine = r.body.streams.filter((s) => s.stream_id.startsWith(prefix)).length;
    found += mine;
    if (!r.body.streams.length) emptyPages++;
    cursor = r.body.list_complete ? null : r.body.cursor;
  } while (cursor);
  return { pages, found, empty_pages: emptyPages, ms: performance.now() - t, failed: null };
}

export async function main() {
  const dev = await ensureDev();
  const failures = [];

  // The streams: ERRORED errored and the rest connected. Which ones are errored is drawn at
  // random, so they are spread over the KV key order as real ones are (ids in sequence would
  // put them together, "s0…" to "s1999" sorting first), and sent in a shuffled order.
  const shuffle = (a) => {
    for (let i = a.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      [a[i], a[j]] = [a[j], a[i]];
    }
    return a;
  };
  const states = shuffle(Array.from({ length: STREAMS }, (_, i) => (i < ERRORED ? "errored" : "connected")));
  const events = shuffle(states.map((state, i) => ({ i, state })));
  const hookStatuses = new Statuses();
  const hookMs = [];
  const started = Date.now();
  let done = 0;
  const refused = [];
  const progress = setInterval(() => console.error(`index: ${done} of ${STREAMS} webhooks sent (${((Date.now() - started) / 1000).toFixed(0)} s)`), 30_000);
  await pool(events, CONCURRENCY, async (e) => {
    const r = await post(cfLiveInput(`${prefix}${e.i}`, e.state));
    hookStatuses.add(r.status);
    hookMs.push(r.ms);
    if (r.status !== 200 && refused.length < 20) refused.push({ stream: `${prefix}${e.i}`, state: e.state, at_s: Number(((Date.now() - started) / 1000).toFixed(1)), status: r.status, ms: Math.round(r.ms), body: r.body.slice(0, 200) });
    done++;
  });
  clearInterval(progress);
  const sendSeconds = (Date.now() - started) / 1000;
  console.error(`index: ${STREAMS} webhooks sent in ${sendSeconds.toFixed(1)} s; waiting for the incidents to be listed …`);

  const getStatuses = new Statuses();
  let walk;
  const deadline = Date.now() + 300_000;
  for (;;) {
    walk = await walkIncidents("state=open", prefix, getStatuses);
    if (walk.ids.size >= ERRORED || Date.now() > deadline) break;
    await sleep(2000);
  }
  if (walk.ids.size !== ERRORED) failures.push(`incidents listed open: ${walk.ids.size} of ${ERRORED}`);

  // Cursors: after the first page of 50, and after the first 1 000.
  const page1 = await get("/incidents?state=open&limit=50");
  let deepCursor = null;
  for (let k = 0; k < 5; k++) deepCursor = (await get(`/incidents?state=open&limit=200${deepCursor ? `&cursor=${encodeURIComponent(deepCursor)}` : ""}`)).body?.cursor ?? null;

  console.error("index: timing the routes …");
  const timed = [
    await timeGet("/incidents?state=open&limit=50", getStatuses),
    await timeGet(`/incidents?state=open&limit=50&cursor=${encodeURIComponent(page1.body?.cursor ?? "")}`, getStatuses),
    await timeGet(`/incidents?state=open&limit=50&cursor=${encodeURIComponent(deepCursor ?? "")}`, getStatuses),
    await timeGet("/incidents?state=open&limit=200", getStatuses),
    await timeGet("/streams?state=errored", getStatuses),
    await timeGet("/streams?state=errored&limit=100", getStatuses),
  ];
  timed[1].path = "/incidents?state=open&limit=50&cursor=<after the first 50>";
  timed[2].path = "/incidents?state=open&limit=50&cursor=<after the first 1 000>";

  const incidentWalks = [];
  const streamWalks = [];
  for (let k = 0; k < 3; k++) {
    const a = await walkIncidents("state=open", prefix, getStatuses);
    incidentWalks.push({ ms: Number(a.ms.toFixed(1)), pages: a.pages, found: a.ids.size, failed: a.failed });
    const b = await walkStreams(getStatuses);
    streamWalks.push({ ms: Number(b.ms.toFixed(1)), pages: b.pages, found: b.found, empty_pages: b.empty_pages, failed: b.failed });
  }
  for (const b of streamWalks) if (b.found !== ERRORED) failures.push(`GET /streams?state=errored walk found ${b.found} of ${ERRORED}`);
  const fivexx = hookStatuses.fivexx() + getStatuses.fivexx();
  if (fivexx) failures.push(`${fivexx} answers were 5xx or none (webhooks ${JSON.stringify(hookStatuses.counts)}, GETs ${JSON.stringify(getStatuses.counts)})`);

  const report = {
    scenario: "index",
    base: BASE,
    dev_log: dev.log ?? null,
    streams: STREAMS,
    errored: ERRORED,
    concurrency: CONCURRENCY,
    send_seconds: Number(sendSeconds.toFixed(1)),
    webhook_statuses: hookStatuses.counts,
    webhook_refused: refused,
    webhook_answer_ms: percentiles(hookMs),
    incidents_listed_open: walk.ids.size,
    runs_each: RUNS,
    timed_ms: timed,
    full_walk_incidents_open_limit200: incidentWalks,
    full_walk_streams_errored_limit100: streamWalks,
    get_statuses: getStatuses.counts,
    failures,
  };
  console.log(JSON.stringify(report, null, 2));
  for (const f of failures) console.error("FAIL", f);
  await dev.stop();
  return failures.length ? 1 : 0;
}
