// Fault injection on the real built Wasm: KV writes and Durable Object calls made to fail through
// test-only stand-ins for the bindings (tests/fault-bindings.js), and a restart with persisted
// state in the middle of a burst. The rules checked: a provider gets a 5xx only when retrying is
// the right answer (its event was not stored); an accepted event, and its alert, are never lost.
import { test, afterEach } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  startWorker, send, cloudflare, fastpix, gcore, fixture, cfErrored, cfDisconnected, eventually, sleep,
  FAST_ALERTS,
  runCleanups,
} from "./helpers.mjs";
import { startReceiver, isIncidentNotice } from "./receiver.mjs";

const cleanups = [];
afterEach(async () => {
  await runCleanups(cleanups);
});

async function setup({ faults = true, persist } = {}) {
  const w = await startWorker({ vars: FAST_ALERTS, faults, persist });
  let disposed = false;
  const dispose = async () => { if (!disposed) { disposed = true; await w.dispose(); } };
  cleanups.push(dispose);
  return { ...w, dispose };
}

async function receiver() {
  const rx = await startReceiver({ setAside: isIncidentNotice });
  cleanups.push(() => rx.close());
  return rx;
}

async function subscribe(w, rx) {
  const r = await w.api("/subscriptions", { method: "POST", body: { url: rx.url } });
  assert.equal(r.status, 201, r.text);
}

const at = (s) => new Date(Date.UTC(2026, 10, 1, 12, 0, 0) + s * 1000).toISOString();
const kvState = async (w, input) => (await w.kv.get(`status:cloudflare:live_input:${input}`, "json"))?.state;
/** The alert id livehook derives from a Cloudflare errored event (see crates/livehook-core/src/alerts/alert.rs). */
function alertId(input, iso, code) {
  const ns = (BigInt(Date.parse(iso)) * 1_000_000n).toString();
  return `alr_${createHash("sha256").update(`live_input.errored|${input}|${ns}|${code}`).digest("hex").slice(0, 24)}`;
}
/** Alert ids the receiver was sent (Standard Webhooks body: data.id). */
const deliveredIds = (rx) => rx.hits.map((h) => JSON.parse(h.body).data.id);

test("KV write failures: webhooks still get a 200 (stored in the stream object) and KV catches up with the newest status", async () => {
  const w = await setup();
  const rx = await receiver();
  await subscribe(w, rx);
  const input = "fa017000000000000000000000000001";
  await w.fault("kv.put", "before");
  const steps = [
    cloudflare(cfDisconnected({ input, at: at(1) })),
    cloudflare(cfErrored({ input, at: at(2) })),
    cloudflare(cfDisconnected({ input, at: at(3) })),
  ];
  for (const req of steps) {
    const r = await send(w, req);
    assert.deepEqual([r.status, r.body.outcome], [200, "applied"], r.text);
  }
  await sleep(1500);
  assert.equal(await kvState(w, input), undefined, "no KV write got through");
  assert.ok(w.logs.join("").includes('"msg":"kv write failed"'), "the failure is logged");
  // The alert does not depend on KV: it is delivered during the outage.
  assert.ok(await eventually(() => rx.hits.length === 1), "alert delivered while KV is down");
  await w.fault("kv.put", null);
  // The object's alarm retries with backoff (1 s, 2 s, 4 s …): KV ends at the newest event.
  assert.equal(await eventually(async () => (await kvState(w, input)) === "disconnected" && "disconnected", 15_000), "disconnected");
  assert.equal((await w.kv.get(`status:cloudflare:live_input:${input}`, "json")).updated_at, "2026-11-01T12:00:03Z");
  // A write that succeeded but whose answer was lost is simply written again.
  await w.fault("kv.put", "after");
  const r = await send(w, cloudflare(cfErrored({ input, at: at(4), code: "ERR_STORAGE_QUOTA_EXHAUSTED" })));
  assert.equal(r.status, 200, r.text);
  await w.fault("kv.put", null);
  assert.ok(await eventually(async () => (await kvState(w, input)) === "errored", 15_000));
  assert.equal(rx.hits.length, 2, "one notification per errored event");
});

test("an unreachable stream object is a 503 the provider retries; the retry is applied exactly once", async () => {
  const w = await setup();
  const rx = await receiver();
  await subscribe(w, rx);
  const input = "fa017000000000000000000000000002";
  const reqs = [
    cloudflare(cfErrored({ input, at: at(1) })),
    fastpix(fixture("fastpix", "live-stream-active.json")),
    gcore(fixture("gcore", "stream-started.json")),
  ];
  await w.fault("streams.call", "before");
  for (const req of reqs) {
    const r = await send(w, req);
    assert.deepEqual([r.status, r.body.error], [503, "unavailable"], r.text);
  }
  assert.deepEqual((await w.kvKeys()).filter((k) => k.startsWith("status:")), [], "nothing written");
  assert.equal((await w.api("/alerts")).body.alerts.length, 0);
  await w.fault("streams.call", null);
  for (const req of reqs) {
    const r = await send(w, req);
    assert.deepEqual([r.status, r.body.outcome], [200, "applied"], r.text);
  }
  // The event reached the object but its answer was lost: the provider's retry is a duplicate.
  const input2 = "fa017000000000000000000000000003";
  const lost = cloudflare(cfErrored({ input: input2, at: at(1) }));
  await w.fault("streams.call", "after");
  assert.equal((await send(w, lost)).status, 503);
  await w.fault("streams.call", null);
  const retry = await send(w, lost);
  assert.deepEqual([retry.status, retry.body.outcome, retry.body.alert_queued], [200, "duplicate", false], retry.text);
  assert.ok(await eventually(() => rx.hits.length === 2));
  await sleep(1000);
  assert.deepEqual(deliveredIds(rx).sort(), [alertId(input, at(1), "ERR_GOP_OUT_OF_RANGE"), alertId(input2, at(1), "ERR_GOP_OUT_OF_RANGE")].sort());
});

test("an unreachable alert hub: errored webhooks are still accepted, their alerts wait in the stream object and arrive once", async () => {
  const w = await setup();
  const rx = await receiver();
  await subscribe(w, rx);
  const input = "fa017000000000000000000000000004";
  await w.fault("hub.call", "before");
  const r = await send(w, cloudflare(cfErrored({ input, at: at(1) })));
  assert.deepEqual([r.status, r.body.outcome, r.body.alert_queued], [200, "applied", true], r.text);
  await sleep(1500);
  assert.equal(rx.hits.length, 0, "nothing reaches the subscriber while the hub is down");
  assert.equal((await w.streamState(`cloudflare:live_input:${input}`)).outbox.length, 1, "the alert waits in the outbox");
  await w.fault("hub.call", null);
  assert.ok(await eventually(() => rx.hits.length === 1, 15_000), "delivered after recovery");
  // The hub stored the alert but its answer was lost: the object hands it off again; the hub
  // recognises the id, so the subscriber still gets it once.
  await w.fault("hub.call", "after");
  assert.equal((await send(w, cloudflare(cfErrored({ input, at: at(2), code: "ERR_MISSING_SUBSCRIPTION" })))).status, 200);
  await sleep(2500); // at least two hand-off attempts
  await w.fault("hub.call", null);
  assert.ok(await eventually(async () => (await w.streamState(`cloudflare:live_input:${input}`)).outbox.length === 0, 15_000));
  await sleep(1000);
  assert.deepEqual(deliveredIds(rx).sort(), [alertId(input, at(1), "ERR_GOP_OUT_OF_RANGE"), alertId(input, at(2), "ERR_MISSING_SUBSCRIPTION")].sort());
  const alerts = (await w.api("/alerts")).body.alerts;
  assert.equal(alerts.length, 2);
  for (const a of alerts) assert.equal(a.repeat_count, 0, "a re-hand-off is not a repeat");
});

test("with the hub down a stream keeps 100 alerts and defers the 101st with a 503; after recovery all 101 are stored", async () => {
  const w = await setup();
  const input = "fa017000000000000000000000000005";
  const event = (i) => cloudflare(cfErrored({ input, at: at(i), code: `ERR_FAULT_${i}` }));
  await w.fault("hub.call", "before");
  for (let i = 0; i < 100; i++) {
    const r = await send(w, event(i));
    assert.deepEqual([r.status, r.body.alert_queued], [200, true], `#${i} ${r.text}`);
  }
  const over = await send(w, event(100));
  assert.deepEqual([over.status, over.body.error], [503, "unavailable"], over.text);
  assert.ok(w.logs.join("").includes('"outcome":"deferred"'), "logged as deferred");
  await w.fault("hub.call", null);
  // The provider retries until the backlog drains.
  const retried = await eventually(async () => (await send(w, event(100))).status === 200, 30_000);
  assert.ok(retried, "the deferred event is accepted once the hub is back");
  const ids = new Set(Array.from({ length: 101 }, (_, i) => alertId(input, at(i), `ERR_FAULT_${i}`)));
  const stored = await eventually(async () => {
    const alerts = (await w.api("/alerts?limit=200")).body.alerts ?? [];
    return alerts.length === 101 && alerts;
  }, 30_000);
  assert.ok(stored, "all 101 alerts reach the hub");
  assert.deepEqual(new Set(stored.map((a) => a.id)), ids);
});

test("a restart with persisted state in the middle of a burst loses nothing", async () => {
  const dir = mkdtempSync(path.join(tmpdir(), "livehook-restart-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const rx = await receiver();
  const w1 = await setup({ faults: false, persist: dir });
  await subscribe(w1, rx);

  // 20 inputs × 10 events (connected / disconnected / errored with its own code), shuffled.
  const CODES = ["ERR_GOP_OUT_OF_RANGE", "ERR_UNSUPPORTED_VIDEO_CODEC", "ERR_MISSING_SUBSCRIPTION"];
  const events = [];
  const newest = {};
  const alertIds = new Set();
  for (let s = 0; s < 20; s++) {
    const input = `fa0170000000000000000000000001${String(s).padStart(2, "0")}`;
    for (let k = 0; k < 10; k++) {
      const t = at(s * 10 + k);
      let body;
      if (k % 3 === 2) {
        const code = CODES[(k - 2) / 3];
        body = cfErrored({ input, at: t, code });
        alertIds.add(alertId(input, t, code));
      } else {
        body = cfDisconnected({ input, at: t });
        if (k % 3 === 1) body = body.replace("live_input.disconnected", "live_input.connected");
      }
      events.push(body);
      newest[input] = k % 3 === 2 ? "errored" : k % 3 === 0 ? "disconnected" : "connected";
    }
  }
  events.sort(() => Math.random() - 0.5);

  // Fire everything at once; stop the runtime after 60 answers, with the rest in flight.
  let answered = 0;
  let killing;
  const accepted = new Set();
  await Promise.allSettled(events.map(async (body, i) => {
    const r = await send(w1, cloudflare(body));
    if (r.status === 200) accepted.add(i);
    if (++answered === 60) killing = w1.dispose();
  }));
  await killing;
  const before = accepted.size;
  assert.ok(before >= 60 && before < events.length, `${before} accepted before the restart`);

  // Same state directory; the provider retries what was not accepted (and replays the rest).
  const w2 = await setup({ faults: false, persist: dir });
  for (let i = 0; i < events.length; i += 25) {
    const batch = events.slice(i, i + 25);
    const rs = await Promise.all(batch.map((b) => send(w2, cloudflare(b))));
    for (const [j, r] of rs.entries()) {
      assert.equal(r.status, 200, r.text);
      if (accepted.has(i + j)) assert.notEqual(r.body.outcome, "applied", "an accepted event is not applied twice");
    }
  }
  for (const [input, state] of Object.entries(newest)) {
    const got = await eventually(async () => (await kvState(w2, input)) === state && state, 15_000);
    assert.equal(got, state, input);
  }
  for (const id of alertIds) {
    const r = await w2.api(`/alerts/${id}`);
    assert.equal(r.status, 200, `${id}: ${r.text}`);
    assert.equal(r.body.repeat_count, 0);
  }
  const delivered = await eventually(() => alertIds.size <= new Set(deliveredIds(rx)).size && new Set(deliveredIds(rx)), 30_000);
  assert.deepEqual(delivered, alertIds, "every alert delivered, none invented");
  console.log(`# restart: ${before}/${events.length} accepted before the stop, ${alertIds.size} alerts, ${rx.hits.length} deliveries`);
});
