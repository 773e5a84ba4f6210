// Each provider end to end: seed payload in, normalized record in KV and in the stream's
// Durable Object, alerts in the hub.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import {
  startWorker, fixture, fixtureNames, cloudflare, fastpix, send, eventually,
  STREAM_KEY_SENTINELS, SECRETS, logLines,
} from "./helpers.mjs";
// Specs that also run against the JavaScript worker with livehook's design (their bodies live
// in tests/specs/delivery.mjs; here they run in their place, against this file's worker).
import { spec, CF_INPUT } from "./specs/delivery.mjs";

let w;
before(async () => { w = await startWorker(); });
after(async () => { await w.dispose(); });

test("cloudflare seed 000 disconnected lands in KV with the provider's time", async () => {
  const r = await send(w, cloudflare(fixture("cloudflare", "seed-000-disconnected.json")));
  assert.equal(r.status, 200);
  assert.equal(r.body.outcome, "applied");
  const rec = await w.record(CF_INPUT);
  assert.equal(rec.state, "disconnected");
  assert.equal(rec.provider, "cloudflare");
  assert.equal(rec.kind, "live_input");
  assert.equal(rec.stream_id, "eb222fcca08eeb1ae84c981ebe8aeeb6");
  assert.equal(rec.updated_at, "2022-01-13T11:43:41.855717910Z");
  assert.equal(rec.last_event, "live_input.disconnected");
  assert.equal(rec.recording, null);
  assert.match(rec.received_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
  const st = await w.streamState("cloudflare:live_input:eb222fcca08eeb1ae84c981ebe8aeeb6");
  assert.equal(st.record.state, "disconnected");
  assert.equal(st.kv_version, st.version);
});

spec("cloudflare seed 001 errored (fixed) is stored with code, message, hint and becomes an alert", () => w);

test("every cloudflare error code fixture produces an alert with a hint", async () => {
  for (const name of fixtureNames("cloudflare").filter((n) => n.startsWith("errored-"))) {
    const r = await send(w, cloudflare(fixture("cloudflare", name)));
    assert.equal(r.status, 200, name);
  }
  const { body } = await w.api("/alerts?limit=200");
  for (const code of ["ERR_UNSUPPORTED_VIDEO_CODEC", "ERR_UNSUPPORTED_AUDIO_CODEC", "ERR_STORAGE_QUOTA_EXHAUSTED", "ERR_MISSING_SUBSCRIPTION"]) {
    const a = body.alerts.find((x) => x.code === code);
    assert.ok(a, code);
    assert.ok(a.hint.length > 20, code);
  }
  // Newest first.
  const times = body.alerts.map((a) => a.received_at_ms);
  assert.deepEqual(times, [...times].sort((x, y) => y - x));
});

test("cloudflare Save and Test and other alert types get 2xx and store nothing", async () => {
  const before = await w.kvKeys();
  const t = await send(w, cloudflare(fixture("cloudflare", "save-and-test.json")));
  assert.equal(t.status, 200);
  assert.equal(t.body.outcome, "test");
  const o = await send(w, cloudflare(fixture("cloudflare", "other-alert-type.json")));
  assert.equal(o.status, 200);
  assert.equal(o.body.outcome, "ignored");
  assert.deepEqual(await w.kvKeys(), before);
});

test("fastpix: the dashboard's unsigned {} probe gets a 200 and stores nothing; anything else unsigned is a 401", async () => {
  const before = await w.kvKeys();
  for (const body of ["{}", "", " {}\n"]) {
    const r = await send(w, ["/webhooks/fastpix", { method: "POST", headers: { "Content-Type": "application/json" }, body }]);
    assert.equal(r.status, 200, `${JSON.stringify(body)}: ${r.text}`);
    assert.equal(r.body.outcome, "test");
  }
  for (const body of ['{"type":"video.live_stream.active","data":{"streamId":"probe-1"}}', "[]", "{ }"]) {
    const r = await send(w, ["/webhooks/fastpix", { method: "POST", headers: { "Content-Type": "application/json" }, body }]);
    assert.equal(r.status, 401, `${body}: ${r.text}`);
  }
  // A signed {} is not a probe: it is checked, and it is not an event.
  const signed = await send(w, fastpix("{}"));
  assert.equal(signed.status, 400, signed.text);
  assert.deepEqual(await w.kvKeys(), before);
  // Before its secret is set (FastPix shows it once the webhook exists), the probe still passes.
  const bare = await startWorker({ bindings: { STATUS_API_TOKEN: SECRETS.STATUS_API_TOKEN } });
  try {
    const r = await send(bare, ["/webhooks/fastpix", { method: "POST", body: "{}" }]);
    assert.equal(r.status, 200, r.text);
    assert.equal((await send(bare, fastpix(fixture("fastpix", "live-stream-active.json")))).status, 403);
  } finally {
    await bare.dispose();
  }
});

test("all 14 fastpix seed events are accepted and normalized; stream keys never stored", async () => {
  const expected = {
    "live-stream-created.json": "created", "live-stream-connected.json": "connected",
    "live-stream-recording.json": "live", "live-stream-active.json": "live",
    "live-stream-disconnected.json": "disconnected", "live-stream-idle.json": "idle",
    "live-stream-updated.json": "idle", "live-stream-enabled.json": "idle",
    "live-stream-disabled.json": "disabled", "live-stream-deleted.json": "deleted",
    "simulcast-target-created.json": "created", "simulcast-target-starting.json": "connected",
    "simulcast-target-broadcasting.json": "live", "simulcast-target-deleted.json": "deleted",
  };
  assert.deepEqual(Object.keys(expected).sort(), fixtureNames("fastpix"));
  for (const [name, state] of Object.entries(expected)) {
    const body = fixture("fastpix", name);
    const r = await send(w, fastpix(body));
    assert.equal(r.status, 200, name);
    assert.equal(r.body.outcome, "applied", name);
    const kind = name.startsWith("simulcast") ? "simulcast_target" : "live_input";
    const id = kind === "simulcast_target" ? "314a486a-3dc7-4cf5-9fcc-1708a4683f21" : "a0ba2bf6-fe6b-441c-a9be-bf910d223218";
    const st = await w.streamState(`fastpix:${kind}:${id}`);
    assert.equal(st.record.state, state, name);
    assert.equal(st.record.last_event, JSON.parse(body).type, name);
  }
  const live = await eventually(async () => {
    const x = await w.record("status:fastpix:live_input:a0ba2bf6-fe6b-441c-a9be-bf910d223218");
    return x?.state === "deleted" && x;
  });
  assert.equal(live.updated_at, "2023-12-06T09:12:19.808Z");
  const target = await eventually(async () => {
    const x = await w.record("status:fastpix:simulcast_target:314a486a-3dc7-4cf5-9fcc-1708a4683f21");
    return x?.state === "deleted" && x;
  });
  assert.equal(target.parent_id, "a0ba2bf6-fe6b-441c-a9be-bf910d223218");
  const dump = JSON.stringify(await Promise.all((await w.kvKeys()).map((k) => w.record(k))));
  for (const s of STREAM_KEY_SENTINELS) assert.ok(!dump.includes(s), `KV leaks ${s}`);
});

spec("every gcore seed message is accepted; ids of different kinds do not collide", () => w);

spec("a gcore stream going live is readable through the API", () => w);

test("one JSON log line per webhook, never a secret or a stream key", async () => {
  const n = w.logs.join("").split("\n").filter((l) => l.includes('"msg":"webhook"'));
  assert.ok(n.length >= 30, `got ${n.length} webhook log lines`);
  for (const line of n) {
    const entry = JSON.parse(line.slice(line.indexOf("{")));
    for (const k of ["provider", "stream", "event", "outcome", "status", "latency_ms"]) assert.ok(k in entry, k);
  }
  const all = w.logs.join("");
  for (const s of [...Object.values(SECRETS), ...STREAM_KEY_SENTINELS]) assert.ok(!all.includes(s), `log leaks ${s}`);
});

test("every line the worker printed is one JSON object, even with control characters and quotes in payloads", async () => {
  const odd = 'live_input.\u0001"odd\\type\n';
  const body = JSON.stringify({ data: { input_id: "abc", event_type: odd, updated_at: new Date().toISOString() } });
  const r = await send(w, cloudflare(body));
  assert.deepEqual([r.status, r.body.outcome], [200, "ignored"], r.text);
  const lines = logLines(w.logs);
  assert.ok(lines.length >= 30, `only ${lines.length} lines`);
  assert.ok(lines.some((l) => l.msg === "webhook" && l.event === odd), "the odd event type is logged as sent");
});
