// The read API: /streams (pagination, filters), /streams/{provider}/{id}, /alerts, /healthz.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startWorker, fixture, cloudflare, fastpix, gcore, send, eventually, fpEvent, SECRETS } from "./helpers.mjs";

let w;
before(async () => {
  w = await startWorker();
  for (const name of ["seed-000-disconnected.json", "errored-storage-quota-exhausted.json"]) {
    assert.equal((await send(w, cloudflare(fixture("cloudflare", name)))).status, 200);
  }
  for (const name of ["live-stream-active.json", "simulcast-target-broadcasting.json"]) {
    assert.equal((await send(w, fastpix(fixture("fastpix", name)))).status, 200);
  }
  for (const name of ["stream-started.json", "broadcast-live.json", "video-processed.json"]) {
    assert.equal((await send(w, gcore(fixture("gcore", name)))).status, 200);
  }
  await eventually(async () => (await w.kvKeys()).length === 7);
});
after(async () => { await w.dispose(); });

test("GET /streams lists every status record", async () => {
  const r = await w.api("/streams");
  assert.equal(r.status, 200);
  assert.equal(r.body.streams.length, 7);
  assert.equal(r.body.cursor, null);
  for (const s of r.body.streams) for (const k of ["provider", "stream_id", "kind", "state", "updated_at", "received_at", "last_event"]) assert.ok(k in s, k);
});

test("GET /streams filters by provider, state and kind", async () => {
  const live = await w.api("/streams?state=live");
  assert.deepEqual(live.body.streams.map((s) => `${s.provider}:${s.kind}`).sort(),
    ["fastpix:live_input", "fastpix:simulcast_target", "gcore:broadcast", "gcore:live_input"]);
  const cf = await w.api("/streams?provider=cloudflare");
  assert.equal(cf.body.streams.length, 2);
  const errored = await w.api("/streams?provider=cloudflare&state=errored");
  assert.equal(errored.body.streams.length, 1);
  assert.equal(errored.body.streams[0].error.code, "ERR_STORAGE_QUOTA_EXHAUSTED");
  const videos = await w.api("/streams?provider=gcore&kind=video");
  assert.deepEqual(videos.body.streams.map((s) => s.stream_id), ["784280"]);
});

test("GET /streams paginates with cursor and limit", async () => {
  const seen = [];
  let cursor = "";
  let pages = 0;
  do {
    const r = await w.api(`/streams?limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
    assert.equal(r.status, 200);
    assert.ok(r.body.streams.length <= 3);
    seen.push(...r.body.streams.map((s) => `${s.provider}:${s.kind}:${s.stream_id}`));
    cursor = r.body.cursor;
    pages++;
  } while (cursor && pages < 10);
  assert.equal(pages, 3);
  assert.equal(new Set(seen).size, 7);
});

test("GET /streams/{provider}/{id} returns one record, kind selectable, 404 if unknown", async () => {
  const one = await w.api("/streams/cloudflare/eb222fcca08eeb1ae84c981ebe8aeeb6");
  assert.equal(one.status, 200);
  assert.equal(one.body.state, "disconnected");
  const target = await w.api("/streams/fastpix/314a486a-3dc7-4cf5-9fcc-1708a4683f21?kind=simulcast_target");
  assert.equal(target.body.state, "live");
  const video = await w.api("/streams/gcore/784280?kind=video");
  assert.equal(video.body.state, "ready");
  for (const p of ["/streams/cloudflare/unknown", "/streams/youtube/abc", "/streams/gcore/784280", "/streams/cloudflare/a%20b"]) {
    const r = await w.api(p);
    assert.equal(r.status, 404, p);
    assert.equal(r.body.error, "not_found");
  }
});

test("GET /alerts lists errored-input alerts newest first, with a limit", async () => {
  const r = await w.api("/alerts?limit=1");
  assert.equal(r.status, 200);
  assert.equal(r.body.alerts.length, 1);
  assert.equal(r.body.alerts[0].code, "ERR_STORAGE_QUOTA_EXHAUSTED");
  assert.equal(r.body.alerts[0].provider, "cloudflare");
});

test("GET /healthz reports configured providers and never a secret", async () => {
  const r = await send(w, ["/healthz", {}]);
  assert.equal(r.status, 200);
  assert.equal(r.body.ok, true);
  assert.equal(r.body.all_providers_configured, true);
  for (const s of Object.values(SECRETS)) assert.ok(!r.text.includes(s));
});

test("GET /streams/{provider}/{id} reads the stream's object: right after a 2xx it shows that event", async () => {
  const s = "read-your-writes-1";
  // Three changes inside one second: KV takes at most one write a second per key, so the
  // listing lags; the single read does not.
  for (const [i, type] of ["connected", "active", "disconnected"].entries()) {
    const r = await send(w, fastpix(fpEvent(s, type, i)));
    assert.equal(r.body.outcome, "applied", r.text);
    const one = await w.api(`/streams/fastpix/${s}`);
    assert.equal(one.status, 200, one.text);
    assert.equal(one.body.last_event, `video.live_stream.${type}`, `after ${type}`);
  }
  assert.ok(await eventually(async () => (await w.record(`status:fastpix:live_input:${s}`))?.state === "disconnected"));
});

test("GET /streams/{provider}/{id}/events: the last events, newest first, with what became of each", async () => {
  const s = "history-1";
  const steps = [
    [fpEvent(s, "connected", 10), "applied"],
    [fpEvent(s, "active", 20), "applied"],
    [fpEvent(s, "connected", 10), "duplicate"], // redelivered
    [fpEvent(s, "idle", 5), "stale"], // older than the status
    [fpEvent(s, "exploded", 30), "ignored"], // a type livehook does not track, for this stream
  ];
  for (const [body, want] of steps) {
    const r = await send(w, fastpix(body));
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.outcome, want === "ignored" ? "ignored" : want, r.text);
  }
  const r = await w.api(`/streams/fastpix/${s}/events`);
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.body.events.map((e) => e.outcome), ["ignored", "stale", "duplicate", "applied", "applied"]);
  assert.deepEqual(r.body.events.map((e) => e.event_type), [
    "video.live_stream.exploded", "video.live_stream.idle", "video.live_stream.connected",
    "video.live_stream.active", "video.live_stream.connected",
  ]);
  // The state after each: the stale and duplicate ones left it live.
  assert.deepEqual(r.body.events.map((e) => e.state), ["live", "live", "live", "live", "connected"]);
  assert.equal(r.body.events[3].occurred_at, "2025-01-01T00:00:20Z");
  for (const e of r.body.events) assert.ok(Date.parse(e.received_at) > 0);
  assert.ok(!r.text.includes("fpx-live-sk"), "never a stream key");
  assert.equal((await w.api(`/streams/fastpix/${s}/events?limit=2`)).body.events.length, 2);
  for (const bad of ["0", "101", "x"]) {
    const e = await w.api(`/streams/fastpix/${s}/events?limit=${bad}`);
    assert.deepEqual([e.status, e.body.error], [400, "bad_request"], bad);
  }
  assert.equal((await w.api("/streams/fastpix/never-seen/events")).status, 404);
  assert.equal((await send(w, [`/streams/fastpix/${s}/events`, {}])).status, 401);
});

test("a stream keeps its last 100 events", async () => {
  const s = "history-bounded";
  for (let i = 0; i < 105; i++) {
    const r = await send(w, fastpix(fpEvent(s, i % 2 ? "active" : "connected", i)));
    assert.equal(r.status, 200, r.text);
  }
  const r = await w.api(`/streams/fastpix/${s}/events?limit=100`);
  assert.equal(r.body.events.length, 100);
  assert.equal(r.body.events[0].occurred_at, "2025-01-01T00:01:44Z", "newest first");
  // Stored, not only shown: the older entries are gone from the object.
  const diag = await w.api(`/streams/fastpix/${s}/diagnostics`);
  assert.equal(diag.body.history_entries, 100);
  assert.equal(r.body.events.at(-1).occurred_at, "2025-01-01T00:00:05Z", "the first five are gone");
});
