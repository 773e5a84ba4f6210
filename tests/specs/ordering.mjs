// The ordering and de-duplication specs (real delivery: out of order, duplicates, and a shuffled
// concurrent burst for one stream per provider), registered against any worker with livehook's
// routes: livehook itself (tests/ordering.test.mjs) and the JavaScript worker with its design
// (tests/same-guarantees.test.mjs). `start()` returns a worker as tests/helpers.mjs's
// `startWorker` does.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import {
  fastpix, cloudflare, gcore, mux, ivs, livepeer, cfStream, fixture, send, eventually, fpEvent,
} from "../helpers.mjs";

export function orderingSpecs(start) {
  let w;
  before(async () => { w = await start(); });
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

  // One generator per provider with an event time: `make(stream, i)` is the i-th event (i seconds
  // into the broadcast) as that provider sends it, `at(i)` the record's `updated_at` for it, and
  // `last` the state the 60th event (i = 59) leaves.
  const at = (i) => new Date(Date.UTC(2025, 0, 1, 0, 0, i)).toISOString();
  const atS = (i) => at(i).replace(".000Z", "Z");
  const pick = (list, i) => list[i % list.length];
  const BURSTS = [
    {
      provider: "fastpix", kind: "live_input", last: "idle", updatedAt: atS,
      make: (s, i) => fastpix(fpEvent(s, pick(["created", "connected", "recording", "active", "disconnected", "idle"], i), i, `b${i}`)),
    },
    {
      provider: "mux", kind: "live_input", last: "idle", updatedAt: atS,
      make: (s, i) => {
        const e = JSON.parse(fixture("mux", "live-stream-active.json"));
        const type = pick(["created", "connected", "recording", "active", "disconnected", "idle"], i);
        Object.assign(e, { id: `${s}-${i}`, type: `video.live_stream.${type}`, created_at: at(i) });
        Object.assign(e.data, { id: s, status: type === "active" ? "active" : "idle" });
        e.object.id = s;
        return mux(JSON.stringify(e));
      },
    },
    {
      provider: "ivs", kind: "live_input", last: "disconnected", updatedAt: atS,
      make: (s, i) => {
        const e = JSON.parse(fixture("ivs", "stream-start.json"));
        Object.assign(e, { id: `${s}-${i}`, time: atS(i), resources: [`arn:aws:ivs:us-west-2:123456789012:channel/${s}`] });
        e.detail.event_name = pick(["Session Created", "Stream Start", "Stream End", "Session Ended"], i);
        return ivs(JSON.stringify(e));
      },
      id: (s) => `arn:aws:ivs:us-west-2:123456789012:channel/${s}`,
    },
    {
      provider: "livepeer", kind: "live_input", last: "idle", updatedAt: atS,
      make: (s, i) => {
        const e = JSON.parse(fixture("livepeer", "stream-started.json"));
        Object.assign(e, { id: `${s}-${i}`, createdAt: Date.parse(at(i)), event: pick(["stream.started", "stream.idle"], i) });
        e.stream.id = s;
        return livepeer(JSON.stringify(e));
      },
    },
    {
      provider: "cloudflare", kind: "video", last: "ready", updatedAt: atS,
      make: (s, i) => {
        const e = JSON.parse(fixture("cloudflare-stream", "video-ready.json"));
        Object.assign(e, { uid: s, modified: at(i) });
        e.status.state = pick(["pendingupload", "queued", "inprogress", "ready"], i);
        return cfStream(JSON.stringify(e));
      },
    },
  ];

  for (const b of BURSTS) {
    test(`${b.provider}: a shuffled concurrent burst for one ${b.kind} ends at the newest state, no 5xx`, async () => {
      const s = `burst${b.provider}1`;
      const id = b.id ? b.id(s) : s;
      const key = `${b.provider}:${b.kind}:${id}`;
      // 60 events, one a second; deliver them shuffled and concurrently, plus 20 redeliveries.
      const events = Array.from({ length: 60 }, (_, i) => b.make(s, i));
      const deliveries = [...events, ...events.slice(0, 20)];
      for (let i = deliveries.length - 1; i > 0; i--) {
        const j = Math.floor(Math.random() * (i + 1));
        [deliveries[i], deliveries[j]] = [deliveries[j], deliveries[i]];
      }
      const results = await Promise.all(deliveries.map((d) => send(w, d)));
      assert.deepEqual(results.filter((r) => r.status !== 200).map((r) => `${r.status} ${r.text}`), []);
      const applied = results.filter((r) => r.body.outcome === "applied").length;
      assert.ok(applied >= 1 && applied <= 60, `applied ${applied}`);
      assert.ok(results.filter((r) => r.body.outcome === "duplicate").length >= 20);
      const st = await w.streamState(key);
      assert.equal(st.record.state, b.last);
      assert.equal(st.record.updated_at, b.updatedAt(59));
      // The consistent read agrees, and KV catches up within the coalescing window (1 write/s per key).
      const read = await w.api(`/streams/${b.provider}/${encodeURIComponent(id)}?kind=${b.kind}`);
      assert.equal(read.body.state, b.last, read.text);
      const rec = await eventually(async () => {
        const x = await w.record(`status:${key}`);
        return x?.updated_at === b.updatedAt(59) && x;
      });
      assert.equal(rec.state, b.last);
      const after = await w.streamState(key);
      assert.equal(after.kv_version, after.version);
    });
  }
}
