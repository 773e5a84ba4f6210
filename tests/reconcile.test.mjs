// Reconciling with the providers' APIs (docs/reconcile.md), on the real built worker against
// local stand-ins of the six APIs (tests/stand-ins/apis/), each of which checks every request
// against the provider's documented shape and authentication and pages as documented: a pass
// reads every listing to the end and adds the streams livehook never heard of; a lost disconnect
// is corrected once the record has been still for RECONCILE_SETTLE_SECONDS, through the same
// ordering as webhooks (a newer webhook wins, an older one is stale); an API that fails (500,
// 401, 429 with Retry-After, an answer that never comes, garbage) changes nothing and is
// reported in /healthz; the budget holds; no credential reaches a log line or an answer.
import { test } from "node:test";
import assert from "node:assert/strict";
import { startWorker, send, cloudflare, cfConnected, cfDisconnected, eventually, sleep, logLines, runCleanups } from "./helpers.mjs";
import { startCloudflare, cloudflareId } from "./stand-ins/apis/cloudflare.mjs";
import { startMux } from "./stand-ins/apis/mux.mjs";
import { startGcore } from "./stand-ins/apis/gcore.mjs";
import { startLivepeer } from "./stand-ins/apis/livepeer.mjs";
import { startFastpix } from "./stand-ins/apis/fastpix.mjs";
import { startIvs } from "./stand-ins/apis/ivs.mjs";

/** The worker with the stand-ins' settings (loopback base URLs need ALERT_ALLOW_LOOPBACK). */
async function start(stands, vars = {}) {
  const env = Object.assign({}, ...stands.map((s) => s.env));
  const w = await startWorker({ vars: { ALERT_ALLOW_LOOPBACK: "true", RECONCILE_SETTLE_SECONDS: "2", ...env, ...vars } });
  return { w, env };
}

const reconcile = async (w) => {
  const r = await w.api("/reconcile", { method: "POST" });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.already_running, false);
  return r.body.providers;
};

const health = async (w) => (await w.api("/healthz")).body.reconcile;

/** Every record `GET /streams` lists, page after page. */
async function allStreams(w) {
  const out = [];
  let cursor = "";
  do {
    const { body } = await w.api(`/streams?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
    out.push(...body.streams);
    cursor = body.cursor;
  } while (cursor);
  return out;
}

/** Every credential among the settings (not the base URLs). */
const credentials = (env) => Object.entries(env).filter(([k]) => !k.endsWith("_API_BASE") && k !== "IVS_REGION" && k !== "CF_ACCOUNT_ID").map(([, v]) => v);

/** No credential in any log line, and none in /healthz. */
async function assertNoCredentialLeaks(w, env) {
  const lines = logLines(w.logs).map((l) => JSON.stringify(l));
  const shown = JSON.stringify((await w.api("/healthz")).body);
  for (const secret of credentials(env)) {
    assert.ok(secret.length >= 8, "a credential long enough to find");
    assert.equal(lines.filter((l) => l.includes(secret)).length, 0, "a credential in a log line");
    assert.ok(!shown.includes(secret), "a credential in /healthz");
  }
  // The stand-ins' answers carry stream keys (`streamkey-…`); none is kept or logged.
  assert.equal(lines.filter((l) => l.includes("streamkey-")).length, 0, "a stream key in a log line");
}

const pagesOf = (stand) => stand.rounds().map((r) => ({ pages: r.pages, complete: r.complete }));

test("a pass reads each of the six APIs to the end of its listing, in its documented shape, and adds every input livehook never heard of", async () => {
  const cleanups = [];
  try {
    const cf = await startCloudflare();
    const mux = await startMux();
    const gcore = await startGcore({ pageSize: 25 });
    const livepeer = await startLivepeer();
    const fastpix = await startFastpix();
    const ivs = await startIvs({ pageSize: 100 });
    const stands = [cf, mux, gcore, livepeer, fastpix, ivs];
    cleanups.push(...stands.map((s) => () => s.close()));
    cf.setStreams([
      { id: cloudflareId(1), name: "Lobby", state: "live" },
      { id: cloudflareId(2), name: "Stage", state: "disconnected" },
      { id: cloudflareId(3), name: "Spare", state: null },
    ]);
    const cycle = (...states) => ({ state: (i) => states[i % states.length] });
    mux.setStreams(mux.generate(150, cycle("live", "idle", "disabled")));
    gcore.setStreams(gcore.generate(30, cycle("live", "disconnected")));
    livepeer.setStreams(livepeer.generate(3, cycle("live", "idle")));
    fastpix.setStreams(fastpix.generate(120, cycle("live", "idle")));
    ivs.setStreams(ivs.generate(150, { state: "live" }));
    const { w, env } = await start(stands);
    cleanups.push(() => w.mf.dispose());

    const got = await reconcile(w);
    const added = (n) => ({ listed: n, checked: n, confirmed: 0, corrected: 0, added: n, errors: 0 });
    assert.deepEqual(got, {
      cloudflare: added(3),
      mux: added(150),
      gcore: added(30),
      livepeer: added(3),
      fastpix: added(120),
      ivs: added(150),
    });
    for (const s of stands) assert.deepEqual(s.problems, [], "every request as documented");
    // Listings to the end: page numbers until a short page (Mux, FastPix at its documented 50),
    // an empty one (Gcore), a missing nextToken (IVS); one answer for Cloudflare and Livepeer.
    assert.deepEqual(pagesOf(mux), [{ pages: [1, 2], complete: true }]);
    assert.deepEqual(pagesOf(fastpix), [{ pages: [1, 2, 3], complete: true }]);
    assert.deepEqual(pagesOf(gcore), [{ pages: [1, 2, 3], complete: true }]);
    assert.deepEqual(pagesOf(ivs), [{ pages: [1, 2], complete: true }]);
    assert.equal(livepeer.requests.length, 1);
    assert.equal(cf.inputRequests().length, 3, "one request per input after the listing");

    // What the board shows: every input, its state from the API, verified.
    const streams = await allStreams(w);
    assert.equal(streams.length, 3 + 150 + 30 + 3 + 120 + 150);
    assert.ok(streams.every((r) => r.last_event === "reconcile" && typeof r.verified_at === "string" && r.kind === "live_input"));
    const rec = await w.record(`status:cloudflare:live_input:${cloudflareId(1)}`);
    assert.equal(rec.state, "connected");
    assert.equal(rec.name, "Lobby");
    const states = (provider) => streams.filter((r) => r.provider === provider).map((r) => r.state).sort();
    assert.deepEqual(states("cloudflare"), ["connected", "disconnected", "idle"], "no status: idle");
    assert.deepEqual(new Set(states("mux")), new Set(["live", "idle", "disabled"]));
    assert.deepEqual(new Set(states("gcore")), new Set(["live", "disconnected"]));
    assert.deepEqual(new Set(states("ivs")), new Set(["live"]));
    const history = await w.api(`/streams/cloudflare/${cloudflareId(1)}/events`);
    assert.deepEqual(history.body.events.map((e) => [e.event_type, e.outcome]), [["reconcile", "corrected"]]);

    const h = await health(w);
    for (const api of ["cloudflare", "mux", "gcore", "livepeer", "fastpix", "ivs"]) {
      assert.equal(h[api].configured, true, api);
      assert.equal(typeof h[api].last_ok_at, "string", api);
      assert.equal(h[api].last_error, null, api);
    }

    // The Cron Trigger runs the same pass: now every stream is confirmed.
    const before = mux.requests.length;
    await (await w.mf.getWorker()).scheduled({ cron: "* * * * *" });
    assert.equal(mux.requests.length, before + 2);
    const pass = await eventually(() => logLines(w.logs).filter((l) => l.msg === "reconcile pass")[1]);
    assert.equal(pass.providers.mux.confirmed, 150);
    assert.equal(pass.providers.ivs.confirmed, 150);
    await assertNoCredentialLeaks(w, env);
  } finally {
    await runCleanups(cleanups);
  }
});

test("a lost disconnect is corrected once the record has been still for the settle time; a newer webhook wins over the correction and an older one is stale", async () => {
  const cleanups = [];
  try {
    const cf = await startCloudflare();
    cleanups.push(() => cf.close());
    const input = cloudflareId(7);
    const { w, env } = await start([cf], { INCIDENT_OFFLINE_AFTER: "1" });
    cleanups.push(() => w.mf.dispose());
    // On air by its webhook; the disconnect webhook never comes, the API knows.
    assert.equal((await send(w, cloudflare(cfConnected({ input })))).status, 200);
    cf.setStreams([{ id: input, name: "Main", state: "disconnected" }]);
    const early = await reconcile(w);
    assert.deepEqual(early.cloudflare, { listed: 1, checked: 1, confirmed: 0, corrected: 0, added: 0, errors: 0 });
    assert.equal((await w.record(`status:cloudflare:live_input:${input}`)).state, "connected", "a webhook may still be on its way");

    await sleep(2_100);
    const late = await reconcile(w);
    assert.equal(late.cloudflare.corrected, 1);
    const rec = await eventually(async () => {
      const r = await w.record(`status:cloudflare:live_input:${input}`);
      return r?.state === "disconnected" && r;
    });
    assert.ok(rec, "KV has the correction");
    assert.equal(rec.last_event, "reconcile");
    assert.equal(typeof rec.verified_at, "string");
    const events = (await w.api(`/streams/cloudflare/${input}/events`)).body.events;
    assert.deepEqual(events.slice(0, 2).map((e) => [e.event_type, e.outcome]), [["reconcile", "corrected"], ["live_input.connected", "applied"]]);
    // Off air like after any disconnect: the offline incident opens once its grace period ends.
    const incident = await eventually(async () => {
      const list = (await w.api(`/incidents?stream=cloudflare:live_input:${input}`)).body.incidents;
      return list?.find((i) => i.cause === "offline");
    });
    assert.ok(incident, "an offline incident opened");

    // A webhook from before the poll is stale; one from after it wins.
    const pollAt = Date.parse(rec.updated_at);
    const older = await send(w, cloudflare(cfConnected({ input, at: new Date(pollAt - 5_000).toISOString() })));
    assert.equal(older.status, 200);
    assert.equal((await w.record(`status:cloudflare:live_input:${input}`)).state, "disconnected");
    const newer = await send(w, cloudflare(cfConnected({ input, at: new Date(pollAt + 1_000).toISOString() })));
    assert.equal(newer.status, 200);
    const back = await eventually(async () => (await w.record(`status:cloudflare:live_input:${input}`))?.state === "connected");
    assert.ok(back, "the newer webhook wins");
    const outcomes = (await w.api(`/streams/cloudflare/${input}/events`)).body.events.slice(0, 2).map((e) => e.outcome);
    assert.deepEqual(outcomes, ["applied", "stale"]);
    // The API still says disconnected, but the record just changed: it waits again.
    const again = await reconcile(w);
    assert.equal(again.cloudflare.corrected, 0);
    assert.equal((await w.record(`status:cloudflare:live_input:${input}`)).state, "connected");
    // A disconnect webhook agrees with the API: confirmed, nothing to correct.
    assert.equal((await send(w, cloudflare(cfDisconnected({ input })))).status, 200);
    const agreed = await reconcile(w);
    assert.deepEqual([agreed.cloudflare.confirmed, agreed.cloudflare.corrected], [1, 0]);
    assert.deepEqual(cf.problems, []);
    await assertNoCredentialLeaks(w, env);
  } finally {
    await runCleanups(cleanups);
  }
});

test("an API that fails (500, 401, 429 with Retry-After, no answer, garbage) changes nothing and says so in /healthz", async () => {
  const cleanups = [];
  try {
    const gcore = await startGcore();
    cleanups.push(() => gcore.close());
    const [stream] = gcore.generate(1, { state: "live" });
    gcore.setStreams([stream]);
    const { w, env } = await start([gcore]);
    cleanups.push(() => w.mf.dispose());
    const key = `status:gcore:live_input:${stream.id}`;
    assert.equal((await reconcile(w)).gcore.added, 1);
    // Gone off air, as the API would say once the failures stop.
    gcore.setStreams([{ ...stream, state: "disconnected" }]);
    await sleep(2_100);

    const cases = [
      [500, { category: "server", status: 500 }],
      [401, { category: "unauthorized", status: 401 }],
      [{ status: 429, retryAfter: 2 }, { category: "rate_limited", status: 429 }],
      ["garbage", { category: "unreadable", status: 200 }],
      ["hang", { category: "timeout", status: null }],
    ];
    for (const [answer, expected] of cases) {
      const label = JSON.stringify(answer);
      gcore.respond(() => answer);
      const sent = gcore.requests.length;
      const got = await reconcile(w);
      assert.equal(gcore.requests.length, sent + 1, `${label}: one request, no retry within the pass`);
      assert.deepEqual(got.gcore, { listed: 0, checked: 0, confirmed: 0, corrected: 0, added: 0, errors: 1 }, label);
      assert.equal((await w.record(key)).state, "live", `${label}: nothing changed`);
      const h = (await health(w)).gcore;
      assert.deepEqual({ category: h.last_error.category, status: h.last_error.status }, expected, label);
      if (answer.status === 429) {
        // Retry-After holds the next pass back: the API is not asked before it ends.
        const held = await reconcile(w);
        assert.equal(gcore.requests.length, sent + 1, "no request during Retry-After");
        assert.equal(held.gcore.corrected, 0);
        await sleep(2_100);
      }
    }
    // Answering again: the correction goes through.
    gcore.respond(() => undefined);
    const ok = await reconcile(w);
    assert.equal(ok.gcore.corrected, 1);
    assert.equal((await w.record(key)).state, "disconnected");
    const h = (await health(w)).gcore;
    assert.equal(h.corrected_last_day, 2, "the addition and the correction");
    assert.ok(Date.parse(h.last_ok_at) > Date.parse(h.last_error.at));
    assert.deepEqual(gcore.problems, []);
    await assertNoCredentialLeaks(w, env);
  } finally {
    await runCleanups(cleanups);
  }
});

test("the budget holds: Cloudflare gets at most 600 requests in 5 minutes, inputs on air are asked about first", async () => {
  const cleanups = [];
  try {
    const cf = await startCloudflare();
    cleanups.push(() => cf.close());
    cf.setStreams(cf.generate(700, { state: "disconnected" }));
    const { w } = await start([cf]);
    cleanups.push(() => w.mf.dispose());
    // Three inputs livehook has on air (their disconnects were lost).
    const onAir = [650, 660, 670].map(cloudflareId);
    for (const input of onAir) assert.equal((await send(w, cloudflare(cfConnected({ input })))).status, 200);

    const first = await reconcile(w);
    assert.equal(first.cloudflare.listed, 700);
    assert.equal(first.cloudflare.checked, 599, "the listing and 599 inputs: 600 requests");
    assert.equal(cf.requests.length, 600);
    assert.deepEqual(cf.inputRequests().slice(0, 3).map((r) => r.route.split("/").pop()).sort(), onAir.sort(), "on air first");
    const second = await reconcile(w);
    assert.equal(second.cloudflare.checked, 0);
    assert.equal(cf.requests.length, 600, "nothing more until the window ends");
    assert.ok(cf.countIn(300_000) <= 600);
    assert.deepEqual(cf.problems, []);
  } finally {
    await runCleanups(cleanups);
  }
});
