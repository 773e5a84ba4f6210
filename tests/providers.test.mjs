// The providers added on the same endpoint (Amazon IVS, Cloudflare Stream videos, Mux, Livepeer),
// end to end on the real built worker: their fixtures in, through their authentication, records
// in KV and in the stream's object, alerts and warnings in the hub.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import {
  startWorker, fixture, send, ivs, cfStream, mux, livepeer,
  STREAM_KEY_SENTINELS, SECRETS, logLines,
} from "./helpers.mjs";
// Specs that also run against the JavaScript worker with livehook's design (their bodies live
// in tests/specs/delivery.mjs; here they run in their place, against this file's worker).
import { spec, MUX_STREAM, LP_STREAM } from "./specs/delivery.mjs";

let w;
before(async () => { w = await startWorker(); });
after(async () => { await w.dispose(); });

// ---------------------------------------------------------------------------------------------
// Amazon IVS

spec("ivs: a whole session, delivered shuffled and twice, ends idle and not recording", () => w);

spec("ivs: failures are errors with a hint, recording failures and limits are warnings", () => w);

test("ivs: a missing or wrong x-api-key is a 401 that changes nothing; other aws.ivs types are acknowledged", async () => {
  const before = await w.kvKeys();
  const body = fixture("ivs", "stream-start.json").toString().replace("6505ed98", "6505ed99");
  for (const token of [null, "", "test-ivs-toke", "TEST-IVS-TOKEN"]) {
    const r = await send(w, ivs(body, { token }));
    assert.equal(r.status, 401, `${token}: ${r.text}`);
    assert.equal(r.body.error, "unauthorized");
    assert.match(r.body.message, /x-api-key/);
    assert.ok(!r.text.includes("test-ivs-token"));
  }
  const stage = JSON.stringify({
    version: "0", id: "7d2a0c1e-0000-4000-8000-000000000001", "detail-type": "IVS Stage Update",
    source: "aws.ivs", account: "123456789012", time: "2024-09-10T15:00:00Z", region: "us-west-2",
    resources: ["arn:aws:ivs:us-west-2:123456789012:stage/abcdEFGH1234"], detail: { event_name: "Participant Joined" },
  });
  const r = await send(w, ivs(stage));
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.outcome, "ignored");
  const broken = await send(w, ivs("{\"version\":\"0\""));
  assert.equal(broken.status, 400);
  assert.deepEqual(await w.kvKeys(), before);
});

// ---------------------------------------------------------------------------------------------
// Cloudflare Stream videos

spec("cloudflare-stream: every fixture, signed, lands as a video record; errors alert", () => w);

spec("cloudflare-stream: a recording names its live input, which learns its latest recording", () => w);

test("cloudflare-stream: forged, replayed or unsigned bodies are 401s that change nothing", async () => {
  const before = await w.kvKeys();
  const body = fixture("cloudflare-stream", "video-ready.json").toString().replace("2022-06-30T17:53:21", "2022-06-30T17:54:21");
  const now = Math.floor(Date.now() / 1000);
  for (const [what, opts] of [
    ["no signature", { secret: null }],
    ["another secret", { secret: "not-the-secret" }],
    ["an old time", { time: now - 301 }],
    // Not 301: the worker reads its clock a little later than `now`, and may be a second on.
    ["a future time", { time: now + 305 }],
  ]) {
    const r = await send(w, cfStream(body, opts));
    assert.equal(r.status, 401, `${what}: ${r.text}`);
    assert.equal(r.body.error, "unauthorized", what);
    assert.match(r.body.message, /Webhook-Signature/, what);
  }
  const [p, init] = cfStream(body);
  const tampered = await send(w, [p, { ...init, body: body.replace("\"ready\"", "\"error\"") }]);
  assert.equal(tampered.status, 401);
  assert.deepEqual(await w.kvKeys(), before);
});

// ---------------------------------------------------------------------------------------------
// Mux

spec("mux: a broadcast, shuffled, lands with its warning, its target and their errors", () => w);

test("mux: a bad, stale or missing Mux-Signature is a 401 that changes nothing", async () => {
  const before = await w.kvKeys();
  const body = fixture("mux", "live-stream-active.json").toString().replace(MUX_STREAM, "mux-sig-test");
  const now = Math.floor(Date.now() / 1000);
  for (const [what, opts] of [
    ["no signature", { secret: null }],
    ["another secret", { secret: "not-the-secret" }],
    ["an old time", { time: now - 301 }],
    ["a future time", { time: now + 305 }],
  ]) {
    const r = await send(w, mux(body, opts));
    assert.equal(r.status, 401, `${what}: ${r.text}`);
    assert.match(r.body.message, /Mux-Signature/, what);
  }
  assert.deepEqual(await w.kvKeys(), before);
});

// ---------------------------------------------------------------------------------------------
// Livepeer

spec("livepeer: a broadcast, shuffled and retried, ends idle with its latest recording", () => w);

test("livepeer: a forged or replayed body is a 401 that changes nothing", async () => {
  const before = await w.kvKeys();
  const body = fixture("livepeer", "stream-started.json").toString().replace(LP_STREAM, "lp-sig-test");
  for (const [what, opts] of [
    ["no signature", { secret: null }],
    ["another secret", { secret: "not-the-secret" }],
    ["sent 6 minutes ago", { sentAt: Date.now() - 360_000 }],
  ]) {
    const r = await send(w, livepeer(body, opts));
    assert.equal(r.status, 401, `${what}: ${r.text}`);
    assert.match(r.body.message, /Livepeer-Signature/, what);
  }
  // A captured request replayed later: its signed timestamp gives it away.
  const [p, init] = livepeer(body, { sentAt: Date.now() - 301_000 });
  assert.equal((await send(w, [p, init])).status, 401);
  assert.deepEqual(await w.kvKeys(), before);
});

// ---------------------------------------------------------------------------------------------
// All four

test("no credential of any new provider reaches KV, an answer or a log line", async () => {
  const dump = JSON.stringify(await Promise.all((await w.kvKeys()).map((k) => w.record(k))));
  for (const s of STREAM_KEY_SENTINELS) assert.ok(!dump.includes(s), `KV leaks ${s}`);
  const streams = (await w.api("/streams?limit=100")).text;
  for (const s of STREAM_KEY_SENTINELS) assert.ok(!streams.includes(s), `API leaks ${s}`);
  const logs = JSON.stringify(logLines(w.logs));
  for (const s of [...Object.values(SECRETS), ...STREAM_KEY_SENTINELS]) assert.ok(!logs.includes(s), `log leaks ${s}`);
  const health = await w.call("/healthz");
  const h = await health.json();
  for (const route of ["cloudflare-stream", "ivs", "mux", "livepeer"]) {
    assert.equal(h.providers[route].configured, true, `${route}: ${JSON.stringify(h.providers[route])}`);
  }
});
