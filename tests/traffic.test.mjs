// "Is anyone reaching us?": per provider, the last accepted webhook and counts by outcome over
// the last hour and day in /healthz. Locally (no Analytics Engine query configured) the counts
// are the isolate's own, which under miniflare is every request; with CF_ACCOUNT_ID and
// ANALYTICS_API_TOKEN the worker asks Analytics Engine's SQL API (here a local stand-in that
// checks the query and answers in the API's JSON shape).
import { test, afterEach } from "node:test";
import assert from "node:assert/strict";
import {
  startWorker, send, cloudflare, fastpix, gcore, mux, fixture, SECRETS, runCleanups,
} from "./helpers.mjs";
import { startReceiver } from "./receiver.mjs";

const cleanups = [];
afterEach(async () => { await runCleanups(cleanups); });

async function health(w) {
  const r = await w.call("/healthz");
  assert.equal(r.status, 200);
  return r.json();
}

test("every webhook is counted by provider and outcome, refusals by reason; nothing else is", async () => {
  const w = await startWorker();
  cleanups.push(() => w.dispose());
  const before = await health(w);
  assert.equal(before.traffic.source, "isolate");
  assert.deepEqual(Object.keys(before.traffic.providers).sort(),
    ["cloudflare", "cloudflare-stream", "fastpix", "gcore", "ivs", "livepeer", "mediamtx", "mux", "nginx-rtmp", "ovenmediaengine", "srs"]);
  assert.equal(before.traffic.providers.mux.last_accepted_at, null);
  assert.deepEqual(before.traffic.providers.mux.last_hour, {});

  const sentAt = Date.now();
  const active = fixture("mux", "live-stream-active.json");
  const expect = [
    [mux(active), 200],                                        // applied
    [mux(active), 200],                                        // duplicate
    [mux(fixture("mux", "asset-ready.json")), 200],            // ignored
    [mux(active, { secret: "wrong" }), 401],                   // rejected: unauthorized
    [mux("{not json", {}), 400],                               // rejected: invalid_json
    [cloudflare(fixture("cloudflare", "save-and-test.json")), 200], // test
    [gcore(fixture("gcore", "stream-started.json"), { ip: "10.0.0.1" }), 403], // rejected: forbidden
    [fastpix("{}", "bm90IGEgc2lnbmF0dXJl"), 401],              // rejected: unauthorized
  ];
  for (const [req, status] of expect) {
    const r = await send(w, req);
    assert.equal(r.status, status, r.text);
  }
  // Not webhooks: not counted.
  await (await w.call("/streams")).arrayBuffer();
  await (await w.call("/webhooks/nope", { method: "POST", body: "{}" })).arrayBuffer();

  const t = (await health(w)).traffic.providers;
  assert.deepEqual(t.mux.last_hour, {
    applied: 1, duplicate: 1, ignored: 1, "rejected:invalid_json": 1, "rejected:unauthorized": 1,
  });
  assert.deepEqual(t.mux.last_day, t.mux.last_hour);
  const last = Date.parse(t.mux.last_accepted_at);
  assert.ok(last >= sentAt - 1000 && last <= Date.now(), t.mux.last_accepted_at);
  assert.deepEqual(t.cloudflare.last_hour, { test: 1 });
  assert.deepEqual(t.gcore.last_hour, { "rejected:forbidden": 1 });
  assert.equal(t.gcore.last_accepted_at, null, "a refusal is not an accepted webhook");
  assert.deepEqual(t.fastpix.last_hour, { "rejected:unauthorized": 1 });
  assert.deepEqual(t.ivs.last_hour, {});
  const text = JSON.stringify(t);
  for (const s of Object.values(SECRETS)) assert.ok(!text.includes(s), "no secret in the counts");
});

test("with Analytics Engine configured, /healthz reads the deployment's counts through the SQL API", async () => {
  const answer = {
    meta: [],
    data: [
      { provider: "mux", outcome: "applied", last_hour: "4", last_day: "12", last_at: "2026-11-24 00:56:24" },
      { provider: "gcore", outcome: "rejected:forbidden", last_hour: 0, last_day: 3, last_at: "2026-11-23 12:00:00" },
    ],
    rows: 2,
  };
  const sql = await startReceiver({ respond: () => ({ status: 200, headers: { "Content-Type": "application/json" }, body: JSON.stringify(answer) }) });
  cleanups.push(() => sql.close());
  const w = await startWorker({ vars: { ANALYTICS_API_TOKEN: "analytics-token-DO-NOT-LEAK", ANALYTICS_SQL_URL: `${sql.url}/sql` } });
  cleanups.push(() => w.dispose());
  const h = await health(w);
  assert.equal(h.traffic.source, "analytics_engine", JSON.stringify(h.traffic));
  assert.deepEqual(h.traffic.providers.mux.last_hour, { applied: 4 });
  assert.deepEqual(h.traffic.providers.mux.last_day, { applied: 12 });
  assert.equal(h.traffic.providers.mux.last_accepted_at, "2026-11-24T00:56:24Z");
  assert.deepEqual(h.traffic.providers.gcore.last_day, { "rejected:forbidden": 3 });
  assert.equal(h.traffic.providers.gcore.last_accepted_at, null);
  // The query: the token as a bearer, the SQL over the dataset.
  assert.equal(sql.hits.length, 1);
  assert.equal(sql.hits[0].method, "POST");
  assert.equal(sql.hits[0].headers.authorization, "Bearer analytics-token-DO-NOT-LEAK");
  assert.match(sql.hits[0].body, /FROM livehook_webhooks WHERE timestamp > NOW\(\) - INTERVAL '1' DAY/);
  // Cached for a minute per isolate: a second /healthz asks nothing.
  await health(w);
  assert.equal(sql.hits.length, 1);
  assert.ok(!JSON.stringify(h).includes("DO-NOT-LEAK") && !w.logs.join("").includes("DO-NOT-LEAK"));
});

test("when the SQL API fails, /healthz says so and falls back to the isolate's counts", async () => {
  const sql = await startReceiver({ respond: () => 403 });
  cleanups.push(() => sql.close());
  const w = await startWorker({ vars: { ANALYTICS_API_TOKEN: "wrong-token", ANALYTICS_SQL_URL: `${sql.url}/sql` } });
  cleanups.push(() => w.dispose());
  assert.equal((await send(w, mux(fixture("mux", "live-stream-idle.json")))).status, 200);
  const h = await health(w);
  assert.equal(h.traffic.source, "isolate");
  assert.equal(h.traffic.analytics_error, "SQL API answered 403");
  assert.deepEqual(h.traffic.providers.mux.last_hour, { applied: 1 });
});
