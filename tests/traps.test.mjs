// A trap in the Wasm (a Rust panic) in the worker's fetch, in a stream object and in the alert
// hub, on the build made for this test (scripts/build.sh --test-traps: a request header arms a
// panic; the deployed build has no such trigger, checked last). Each time: the request that
// trapped gets livehook's JSON 500 within a second; the next request to the same worker and the
// same object succeeds; nothing stored is lost (record, history, alerts, pending deliveries); the
// panic is logged once, with its message.
import { test, afterEach } from "node:test";
import assert from "node:assert/strict";
import {
  startWorker, send, cloudflare, cfErrored, cfDisconnected, eventually, panics, runCleanups,
  FAST_ALERTS,
} from "./helpers.mjs";
import { startReceiver, isIncidentNotice } from "./receiver.mjs";

const INPUT = "7ab7ab7ab7ab7ab7ab7ab7ab7ab7ab7a";
const ARM = "x-livehook-test-trap";
const INTERNAL_ERROR = {
  error: "internal_error",
  message: "internal error: the request was not completed, retry",
};

const cleanups = [];
afterEach(async () => {
  await runCleanups(cleanups);
});

async function setup() {
  const w = await startWorker({ build: "build/test-traps", vars: FAST_ALERTS, allowPanics: true });
  cleanups.push(() => w.dispose());
  return w;
}

function connected(at) {
  return JSON.stringify({
    name: "Live Webhook Test",
    text: `Input ID: ${INPUT}`,
    data: { notification_name: "Stream Live Input", input_id: INPUT, event_type: "live_input.connected", updated_at: at },
    ts: Math.floor(Date.parse(at) / 1000),
  });
}

/** `request` ([path, init]) with the panic armed at `place`. */
function armed(place, [path, init]) {
  return [path, { ...init, headers: { ...init.headers, [ARM]: place } }];
}

/** Sends `request` and checks it is answered with livehook's JSON 500 within a second. */
async function trapped(w, request) {
  const started = Date.now();
  const r = await send(w, request);
  const took = Date.now() - started;
  assert.equal(r.status, 500, r.text);
  assert.deepEqual(r.body, INTERNAL_ERROR);
  assert.equal(r.headers.get("content-type"), "application/json");
  assert.ok(took < 1000, `answered after ${took} ms`);
}

/** The panic with `message` was logged exactly once (and nothing else panicked). */
async function loggedOnce(w, message) {
  const found = await eventually(() => panics(w.logs).length > 0 && panics(w.logs));
  assert.equal(found.length, 1, found.join("\n---\n"));
  assert.match(found[0], new RegExp(`test trap: ${message}`));
  assert.equal(w.logs.join("").split(`test trap: ${message}`).length - 1, 1, "the message appears once");
}

/** The stream's record and history, read from its object. */
async function stream(w) {
  const record = await w.api(`/streams/cloudflare/${INPUT}`);
  const events = await w.api(`/streams/cloudflare/${INPUT}/events`);
  assert.equal(record.status, 200, record.text);
  assert.equal(events.status, 200, events.text);
  return { record: record.body, events: events.body.events };
}

test("a trap in the worker's fetch answers 500 JSON, and the next request is served", async () => {
  const w = await setup();
  const before = await send(w, cloudflare(connected("2026-12-07T10:00:00Z")));
  assert.equal(before.status, 200, before.text);
  await trapped(w, armed("fetch", ["/healthz", { headers: {} }]));
  const health = await send(w, ["/healthz", {}]);
  assert.equal(health.status, 200, health.text);
  const after = await stream(w);
  assert.equal(after.record.state, "connected");
  assert.equal(after.events.length, 1);
  await loggedOnce(w, "Fetch");
});

test("a webhook whose stream object traps answers 500 JSON; the next one to the same object is applied and nothing stored is lost", async () => {
  const w = await setup();
  assert.equal((await send(w, cloudflare(connected("2026-12-07T10:00:00Z")))).status, 200);
  const kept = await stream(w);
  const disconnect = cloudflare(cfDisconnected({ input: INPUT, at: "2026-12-07T10:01:00Z" }));
  await trapped(w, armed("stream", disconnect));
  const unchanged = await stream(w);
  assert.deepEqual(unchanged, kept, "the trapped event changed nothing, and lost nothing");
  // The provider's retry of the same event is applied.
  const retried = await send(w, disconnect);
  assert.equal(retried.status, 200, retried.text);
  assert.equal(retried.body.outcome, "applied");
  const after = await stream(w);
  assert.equal(after.record.state, "disconnected");
  assert.deepEqual(after.events.map((e) => e.event_type), ["live_input.disconnected", "live_input.connected"]);
  await eventually(async () => (await w.record(`cloudflare:live_input:${INPUT}`))?.state === "disconnected");
  await loggedOnce(w, "StreamObject");
});

test("an API read whose stream object traps answers 500 JSON; the next read is served", async () => {
  const w = await setup();
  assert.equal((await send(w, cloudflare(connected("2026-12-07T10:00:00Z")))).status, 200);
  const kept = await stream(w);
  await trapped(w, armed("stream", [`/streams/cloudflare/${INPUT}`, { headers: { Authorization: "Bearer test-api-token" } }]));
  assert.deepEqual(await stream(w), kept);
  await loggedOnce(w, "StreamObject");
});

test("an alert whose hub traps answers 500 JSON; the alert, earlier alerts and pending deliveries are kept and delivered", async () => {
  const w = await setup();
  // The subscriber refuses the first attempt: the first alert's delivery is pending (retried
  // 300 ms later) when the hub traps.
  const rx = await startReceiver({ respond: (_hit, n) => (n === 1 ? 500 : 200), setAside: isIncidentNotice });
  cleanups.push(() => rx.close());
  const sub = await w.api("/subscriptions", { method: "POST", body: { url: rx.url } });
  assert.equal(sub.status, 201, sub.text);
  const first = await send(w, cloudflare(cfErrored({ input: "1111111111111111111111111111aaaa", code: "ERR_FIRST" })));
  assert.equal(first.status, 200, first.text);
  await eventually(() => rx.hits.length >= 1);
  await trapped(w, armed("hub", cloudflare(cfErrored({ input: INPUT, code: "ERR_SECOND", at: "2026-12-07T10:02:00Z" }))));
  // The second alert was stored with its event before the hub trapped: it reaches the hub and
  // the subscriber; the first one's pending delivery is made too. Each exactly once.
  const delivered = await eventually(() => {
    const codes = rx.hits.filter((h) => h.body.includes("ERR_")).map((h) => JSON.parse(h.body).data.code);
    return codes.filter((c) => c === "ERR_FIRST").length === 2 && codes.includes("ERR_SECOND") && codes;
  }, 15000);
  assert.ok(delivered, `deliveries: ${rx.hits.map((h) => h.body).join("\n")}`);
  assert.deepEqual(delivered.sort(), ["ERR_FIRST", "ERR_FIRST", "ERR_SECOND"]);
  const alerts = await w.api("/alerts");
  assert.equal(alerts.status, 200, alerts.text);
  assert.deepEqual(alerts.body.alerts.map((a) => a.code).sort(), ["ERR_FIRST", "ERR_SECOND"]);
  const { record } = await stream(w);
  assert.equal(record.state, "errored");
  await loggedOnce(w, "Hub");
});

test("after a trap, concurrent requests are each answered and later ones all succeed", async () => {
  const w = await setup();
  assert.equal((await send(w, cloudflare(connected("2026-12-07T10:00:00Z")))).status, 200);
  const answers = await Promise.all([
    send(w, armed("stream", [`/streams/cloudflare/${INPUT}`, { headers: { Authorization: "Bearer test-api-token" } }])),
    send(w, ["/healthz", {}]),
    send(w, ["/healthz", {}]),
  ]);
  // The armed read traps; a request running in the same instance at that moment may fail with
  // it, but none waits.
  assert.equal(answers[0].status, 500, answers[0].text);
  for (const a of answers.slice(1)) assert.ok([200, 500].includes(a.status), a.text);
  for (let i = 0; i < 3; i++) {
    assert.equal((await send(w, ["/healthz", {}])).status, 200);
    assert.equal((await w.api(`/streams/cloudflare/${INPUT}`)).status, 200);
  }
  await loggedOnce(w, "StreamObject");
});

test("the deployed build cannot be made to panic on request", async () => {
  const w = await startWorker();
  cleanups.push(() => w.dispose());
  for (const place of ["fetch", "stream", "hub"]) {
    const r = await send(w, armed(place, cloudflare(cfErrored({ input: INPUT, at: new Date(Date.UTC(2026, 11, 7, 10, 0, place.length)).toISOString() }))));
    assert.equal(r.status, 200, r.text);
  }
  // dispose() fails if it panicked.
});
