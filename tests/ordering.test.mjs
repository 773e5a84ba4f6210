// Real delivery: out of order, duplicates, and a shuffled burst for one stream.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startWorker, fastpix, cloudflare, gcore, fixture, send, eventually, fpEvent } from "./helpers.mjs";

let w;
before(async () => { w = await startWorker(); });
after(async () => { await w.dispose(); });

test("an older event never overwrites a newer status", async () => {
  const s = "order-test-1";
  assert.equal((await send(w, fastpix(fpEvent(s, "active", 20, "e2")))).body.outcome, "applied");
  const r = await send(w, fastpix(fpEvent(s, "connected", 10, "e1")));
  assert.equal(r.status, 200);
  assert.equal(r.body.outcome, "stale");
  const rec = await eventually(async () => (await w.record(`status:fastpix:live_input:${s}`)));
  assert.equal(rec.state, "live");
  assert.equal(rec.updated_at, "2025-01-01T00:00:20Z");
});

test("a redelivered event changes nothing", async () => {
  const s = "dup-test-1";
  const body = fpEvent(s, "active", 5, "dup");
  assert.equal((await send(w, fastpix(body))).body.outcome, "applied");
  const before = await w.streamState(`fastpix:live_input:${s}`);
  for (let i = 0; i < 3; i++) {
    const r = await send(w, fastpix(body));
    assert.equal(r.status, 200);
    assert.equal(r.body.outcome, "duplicate");
  }
  assert.deepEqual(await w.streamState(`fastpix:live_input:${s}`), before);
  // A repeated Cloudflare errored delivery makes one alert, not three.
  for (let i = 0; i < 3; i++) await send(w, cloudflare(fixture("cloudflare", "errored-missing-subscription.json")));
  const alerts = (await w.api("/alerts")).body.alerts.filter((a) => a.code === "ERR_MISSING_SUBSCRIPTION");
  assert.equal(alerts.length, 1);
});

test("a gcore message identical to the last one is a duplicate; a real change is not", async () => {
  const live = fixture("gcore", "stream-started.json");
  const off = fixture("gcore", "stream-paused.json");
  assert.equal((await send(w, gcore(live))).body.outcome, "applied");
  assert.equal((await send(w, gcore(live))).body.outcome, "duplicate");
  assert.equal((await send(w, gcore(off))).body.outcome, "applied");
  assert.equal((await send(w, gcore(live))).body.outcome, "applied");
});

test("a shuffled concurrent burst for one stream ends at the newest state, no 5xx", async () => {
  const s = "burst-test-1";
  const types = ["created", "connected", "recording", "active", "disconnected", "idle"];
  const events = [];
  for (let i = 0; i < 60; i++) events.push(fpEvent(s, types[i % types.length], i, `b${i}`));
  // 60 events, the newest is "idle" at second 59; deliver shuffled, concurrently, plus 20 duplicates.
  const deliveries = [...events, ...events.slice(0, 20)];
  for (let i = deliveries.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [deliveries[i], deliveries[j]] = [deliveries[j], deliveries[i]];
  }
  const results = await Promise.all(deliveries.map((b) => send(w, fastpix(b))));
  assert.deepEqual(results.filter((r) => r.status !== 200).map((r) => r.status), []);
  const applied = results.filter((r) => r.body.outcome === "applied").length;
  assert.ok(applied >= 1 && applied <= 60);
  assert.equal(results.filter((r) => r.body.outcome === "duplicate").length >= 20, true);
  const st = await w.streamState(`fastpix:live_input:${s}`);
  assert.equal(st.record.state, "idle");
  assert.equal(st.record.updated_at, "2025-01-01T00:00:59Z");
  // KV catches up within the coalescing window (1 write/s per key).
  const rec = await eventually(async () => {
    const x = await w.record(`status:fastpix:live_input:${s}`);
    return x?.updated_at === "2025-01-01T00:00:59Z" && x;
  });
  assert.equal(rec.state, "idle");
  const after = await w.streamState(`fastpix:live_input:${s}`);
  assert.equal(after.kv_version, after.version);
});
