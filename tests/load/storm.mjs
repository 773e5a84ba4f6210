// `npm run load:storm` (= `npm run load -- --scenario=storm`): an alert storm against
// `npm run dev` (started here on LOAD_URL, default http://127.0.0.1:8787, with fresh state,
// unless one already answers there).
//
// Local receivers stand in for a Slack, a Discord and a webhook subscriber (and for the Teams,
// Telegram, PagerDuty and incident.io formats when this build accepts them; otherwise they are
// reported as skipped). Then `live_input.errored` Cloudflare webhooks for 2 000 distinct streams
// are sent over ~60 s, 16 at a time at most, while `GET /incidents?state=open&limit=200` is
// called every second and timed. Then it waits for every incident to be listed, for the storm
// window to end and its summary to be delivered, and prints: incidents recorded (paged through
// `GET /incidents?state=open` with the cursor), messages each receiver got by kind, 5xx answers,
// webhook answer latency and `GET /incidents` latency during the storm.
//
// Exits non-zero if an incident is not recorded, the webhook subscriber misses an incident, or
// anything answers 5xx (or not at all).
//
// Options: --streams=2000 --seconds=60 --concurrency=16 --threshold=10 --window=60 (the last two
// must match the server's ALERT_STORM_THRESHOLD / ALERT_STORM_WINDOW; they only shape the
// expectations printed), --keep-state (a server started here uses .wrangler/state).
import { startReceiver } from "../receiver.mjs";
import { API, BASE, CODES, Statuses, arg, cfLiveInput, ensureDev, get, percentiles, post, run, sleep, walkIncidents } from "./common.mjs";

const N = arg("streams", 2000);
const SPREAD_S = arg("seconds", 60);
const CONCURRENCY = arg("concurrency", 16);
const THRESHOLD = arg("threshold", 10);
const WINDOW_S = arg("window", 60);
const prefix = `storm${run}s`;

// Every format a subscriber may have. `optional` ones are skipped when this build refuses them
// (a 400 naming the format): they arrive with other branches, and count here once they do.
const SUBSCRIBERS = [
  { name: "slack", kind: "chat", answer: { status: 200, body: "ok" }, body: (u) => ({ url: `${u}/services/T0/B0/load`, format: "slack" }) },
  { name: "discord", kind: "chat", answer: { status: 204 }, body: (u) => ({ url: `${u}/api/webhooks/1/load`, format: "discord" }) },
  { name: "webhook", kind: "webhook", answer: { status: 200 }, body: (u) => ({ url: `${u}/hook`, format: "webhook" }) },
  { name: "teams", kind: "chat", optional: true, answer: { status: 202 }, body: (u) => ({ url: `${u}/workflows/load/triggers/manual/paths/invoke?sig=load`, format: "teams" }) },
  { name: "telegram", kind: "chat", optional: true, answer: { status: 200, body: '{"ok":true,"result":{}}' }, body: (u) => ({ url: `${u}/bot123456:load-token/sendMessage`, format: "telegram", chat_id: "-1001234567890" }) },
  { name: "pagerduty", kind: "paging", optional: true, answer: { status: 202, body: '{"status":"success","message":"Event processed"}' }, body: (u) => ({ url: `${u}/v2/enqueue`, format: "pagerduty", routing_key: "R0LOADTESTROUTINGKEY000000000000" }) },
  { name: "incidentio", kind: "paging", optional: true, answer: { status: 202, body: '{"status":"success"}' }, body: (u) => ({ url: `${u}/v2/alert_events/http/01LOAD`, format: "incidentio", token: "load-token" }) },
];

/**
 * What one delivered request is: `incident` (one incident opened), `summary` (a chat storm
 * summary; `count` incidents), `group` (a grouped page), `alert` (a `stream.*` event), `other`.
 * Knows the renderers' stand-in bodies (`{"incident":…}`, `{"storm":…}`) and the documented
 * ones (`{"type":"incident.opened","data":…}`, "N more … down" texts, `inc_storm_` dedup keys).
 */
function classify(raw) {
  let j;
  try {
    j = JSON.parse(raw);
  } catch {
    return { what: "other" };
  }
  if (j.storm) return j.storm.message === "group" ? { what: "group" } : { what: "summary", count: j.storm.count };
  if (j.incident) return { what: "incident", id: j.incident.id };
  if (typeof j.type === "string" && j.type.startsWith("stream.")) return { what: "alert" };
  if (j.type === "incident.opened") return { what: "incident", id: j.data?.id };
  if (typeof j.type === "string" && j.type.startsWith("incident.")) return { what: "other" };
  const text = JSON.stringify(j);
  // A grouped page carries the storm's id as its dedup key; a chat summary names it in its
  // footer, and both say "N more … down".
  if (/"(dedup_key|deduplication_key)":"inc_storm_/.test(text)) return { what: "group" };
  const more = /\b(\d+) more\b/.exec(text);
  if (more) return { what: "summary", count: Number(more[1]) };
  if (/inc_storm_/.test(text)) return { what: "group" };
  const id = /inc_[0-9a-f]{24}/.exec(text);
  return { what: "incident", id: id?.[0] };
}

/** A receiver's requests by kind; times in seconds after the first webhook was sent. */
function tally(hits, started = 0) {
  const t = { requests: hits.length, incident: 0, summary: 0, summary_counts: [], summary_at_s: [], group: 0, alert: 0, other: 0, distinct_incidents: 0, last_request_at_s: null };
  const ids = new Set();
  const s = (at) => Number(((at - started) / 1000).toFixed(1));
  for (const h of hits) {
    const c = classify(h.body);
    t[c.what]++;
    if (c.what === "summary") {
      t.summary_counts.push(c.count);
      t.summary_at_s.push(s(h.at));
    }
    if (c.what === "incident" && c.id) ids.add(c.id);
    t.last_request_at_s = s(h.at);
  }
  t.distinct_incidents = ids.size;
  return t;
}

export async function main() {
  const dev = await ensureDev();
  const failures = [];
  const receivers = {};
  const skipped = {};
  const subscriptionIds = [];
  for (const s of SUBSCRIBERS) {
    const r = await startReceiver({ respond: () => s.answer });
    const res = await fetch(`${BASE}/subscriptions`, { method: "POST", headers: { ...API, "Content-Type": "application/json" }, body: JSON.stringify(s.body(r.url)) });
    const body = await res.text();
    if (res.status === 201) {
      receivers[s.name] = { ...s, receiver: r };
      subscriptionIds.push(JSON.parse(body).id);
    } else {
      await r.close();
      if (s.optional && res.status === 400) skipped[s.name] = body.slice(0, 300);
      else throw new Error(`POST /subscriptions (${s.name}): ${res.status} ${body.slice(0, 200)}`);
    }
  }
  console.error(`storm: subscribed ${Object.keys(receivers).join(", ")}${Object.keys(skipped).length ? `; skipped (not in this build) ${Object.keys(skipped).join(", ")}` : ""}`);

  // Poll the open incidents every second for as long as the storm lasts.
  const pollStatuses = new Statuses();
  const pollMs = [];
  let polling = true;
  const poller = (async () => {
    while (polling) {
      const t = Date.now();
      const r = await get("/incidents?state=open&limit=200");
      pollStatuses.add(r.status);
      pollMs.push(r.ms);
      await sleep(Math.max(0, t + 1000 - Date.now()));
    }
  })();

  // The storm: N streams, each errored once, spread evenly over SPREAD_S seconds.
  const hookStatuses = new Statuses();
  const hookMs = [];
  const gap = (SPREAD_S * 1000) / N;
  const started = Date.now();
  let next = 0;
  let accepted = 0;
  const refused = [];
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < N) {
        const i = next++;
        const wait = started + i * gap - Date.now();
        if (wait > 0) await sleep(wait);
        // Most streams fail the same way; a few other codes make the summary's tally visible.
        const code = i % 10 < 7 ? CODES[0] : CODES[1 + (i % 4)];
        const r = await post(cfLiveInput(`${prefix}${i}`, "errored", new Date(), code));
        hookStatuses.add(r.status);
        hookMs.push(r.ms);
        if (r.status === 200) accepted++;
        else if (refused.length < 20) refused.push({ stream: `${prefix}${i}`, at_s: Number(((Date.now() - started) / 1000).toFixed(1)), status: r.status, ms: Math.round(r.ms), body: r.body.slice(0, 200) });
      }
    }),
  );
  const sendSeconds = (Date.now() - started) / 1000;
  const lastSent = Date.now();
  console.error(`storm: ${N} webhooks sent in ${sendSeconds.toFixed(1)} s; waiting for every incident to be listed …`);

  // Every accepted one listed (the stream objects hand changes to the hub after answering).
  const walkStatuses = new Statuses();
  let walk;
  const listDeadline = Date.now() + 180_000;
  let firstWalk = null;
  for (;;) {
    walk = await walkIncidents("state=open", prefix, walkStatuses);
    firstWalk ??= walk;
    if (walk.ids.size >= accepted || Date.now() > listDeadline) break;
    await sleep(2000);
  }
  const allListedAfter = (Date.now() - lastSent) / 1000;
  polling = false;
  await poller;
  if (walk.ids.size !== N) failures.push(`incidents listed open: ${walk.ids.size} of ${N}${walk.failed ? ` (a page answered ${walk.failed})` : ""}`);

  // The storm window ends (the last summary is due at most WINDOW_S after the last opening),
  // then the deliveries settle: every receiver's count unchanged for 15 s.
  console.error(`storm: all listed; waiting for the window to end and deliveries to settle …`);
  const settleDeadline = lastSent + WINDOW_S * 1000 + 600_000;
  await sleep(Math.max(0, lastSent + WINDOW_S * 1000 + 5000 - Date.now()));
  let counts = "";
  let stableSince = Date.now();
  for (;;) {
    const now = Object.values(receivers).map((r) => r.receiver.hits.length).join(",");
    if (now !== counts) {
      counts = now;
      stableSince = Date.now();
    }
    const webhookDone = !receivers.webhook || tally(receivers.webhook.receiver.hits).distinct_incidents >= walk.ids.size;
    if ((webhookDone && Date.now() - stableSince >= 15_000) || Date.now() > settleDeadline) break;
    await sleep(1000);
  }
  const settledAfter = (Date.now() - lastSent) / 1000;

  const delivered = {};
  for (const [name, r] of Object.entries(receivers)) delivered[name] = { kind: r.kind, ...tally(r.receiver.hits, started) };
  const w = delivered.webhook;
  if (w && w.distinct_incidents !== N) failures.push(`webhook subscriber: ${w.distinct_incidents} distinct incidents of ${N}`);
  for (const [name, d] of Object.entries(delivered)) {
    if (d.kind !== "chat") continue;
    const covered = d.incident + d.summary_counts.reduce((a, n) => a + (n ?? 0), 0);
    if (d.summary_counts.every((n) => n != null) && covered !== N) failures.push(`${name}: individual messages + summary counts cover ${covered} incidents of ${N}`);
  }
  const fivexx = hookStatuses.fivexx() + pollStatuses.fivexx() + walkStatuses.fivexx();
  if (fivexx) failures.push(`${fivexx} answers were 5xx or none (webhooks ${JSON.stringify(hookStatuses.counts)}, polls ${JSON.stringify(pollStatuses.counts)}, walks ${JSON.stringify(walkStatuses.counts)})`);

  const report = {
    scenario: "storm",
    base: BASE,
    dev_log: dev.log ?? null,
    streams: N,
    concurrency: CONCURRENCY,
    storm_threshold: THRESHOLD,
    storm_window_s: WINDOW_S,
    send_seconds: Number(sendSeconds.toFixed(1)),
    webhook_statuses: hookStatuses.counts,
    webhook_refused: refused,
    webhook_answer_ms: percentiles(hookMs),
    get_incidents_open_limit200_during_storm_ms: { ...percentiles(pollMs), statuses: pollStatuses.counts },
    incidents_listed_open: walk.ids.size,
    incidents_listed_at_send_end: firstWalk.ids.size,
    all_listed_s_after_last_webhook: Number(allListedAfter.toFixed(1)),
    full_walk_open: { pages: walk.pages, incidents: walk.all, ms: Number(walk.ms.toFixed(1)), statuses: walkStatuses.counts },
    last_webhook_at_s: Number(((lastSent - started) / 1000).toFixed(1)),
    settled_s_after_last_webhook: Number(settledAfter.toFixed(1)),
    expected_chat: `${THRESHOLD} individual + about one summary per ${WINDOW_S} s window covering the other ${N - THRESHOLD}`,
    delivered,
    skipped_formats: skipped,
    failures,
  };
  console.log(JSON.stringify(report, null, 2));
  for (const f of failures) console.error("FAIL", f);

  for (const id of subscriptionIds) await fetch(`${BASE}/subscriptions/${id}`, { method: "DELETE", headers: API }).catch(() => {});
  for (const r of Object.values(receivers)) await r.receiver.close();
  await dev.stop();
  return failures.length ? 1 : 0;
}
