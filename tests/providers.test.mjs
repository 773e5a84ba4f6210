// The providers added on the same endpoint (Amazon IVS, Cloudflare Stream videos, Mux, Livepeer),
// end to end on the real built worker: their fixtures in, through their authentication, records
// in KV and in the stream's object, alerts and warnings in the hub.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import {
  startWorker, fixture, fixtureNames, send, eventually, ivs, cfStream,
} from "./helpers.mjs";

let w;
before(async () => { w = await startWorker(); });
after(async () => { await w.dispose(); });

const json = (names) => names.filter((n) => n.endsWith(".json"));

// ---------------------------------------------------------------------------------------------
// Amazon IVS

const CHANNEL = "arn:aws:ivs:us-west-2:123456789012:channel/AbCdef1G2hij";
const IVS_PATH = `/streams/ivs/${encodeURIComponent(CHANNEL)}`;

test("ivs: a whole session, delivered shuffled and twice, ends idle and not recording", async () => {
  const session = [
    "session-created.json", "stream-start.json", "recording-start.json", "starvation-start.json",
    "starvation-end.json", "session-ended.json", "stream-end.json", "recording-end.json",
  ];
  // A fixed shuffle (IVS delivers best effort: late and out of order), then every one again.
  const order = [5, 2, 7, 0, 3, 6, 1, 4].map((i) => session[i]);
  const outcomes = [];
  for (const name of [...order, ...order]) {
    const r = await send(w, ivs(fixture("ivs", name)));
    assert.equal(r.status, 200, `${name}: ${r.text}`);
    outcomes.push(r.body.outcome);
  }
  assert.deepEqual(outcomes.slice(8), Array(8).fill("duplicate"), "EventBridge retries are recognised");
  const rec = await eventually(async () => {
    const r = await w.api(IVS_PATH);
    return r.status === 200 && r.body.last_event === "IVS Recording State Change: Recording End" && r.body;
  });
  assert.equal(rec.provider, "ivs");
  assert.equal(rec.kind, "live_input");
  assert.equal(rec.stream_id, CHANNEL);
  assert.equal(rec.state, "idle");
  assert.equal(rec.recording, false);
  assert.equal(rec.warning, undefined);
  assert.equal(rec.name, "Your Channel");
  assert.equal(rec.updated_at, "2024-09-09T17:47:45Z");
  // The same record in KV (coalesced by the object's alarm).
  const kv = await eventually(async () => {
    const x = await w.record(`status:ivs:live_input:${CHANNEL}`);
    return x?.last_event === rec.last_event && x;
  });
  assert.equal(kv.state, "idle");
  // The starvation was a warning: an alert, even though it has been cleared since.
  const alerts = await w.api(`/alerts?stream=${encodeURIComponent(`ivs:live_input:${CHANNEL}`)}`);
  assert.equal(alerts.status, 200, alerts.text);
  const starvation = alerts.body.alerts.find((a) => a.code === "Starvation");
  assert.ok(starvation, JSON.stringify(alerts.body));
  assert.equal(starvation.warning, true);
  // The history has all sixteen deliveries: eight applied or stale, eight duplicates.
  const events = await w.api(`${IVS_PATH}/events?limit=100`);
  assert.equal(events.status, 200, events.text);
  const outcomes16 = events.body.events.map((e) => e.outcome);
  assert.equal(outcomes16.length, 16);
  assert.equal(outcomes16.filter((o) => o === "duplicate").length, 8);
});

test("ivs: failures are errors with a hint, recording failures and limits are warnings", async () => {
  for (const name of ["stream-failure.json", "recording-start-failure.json", "limit-breach-ingest-bitrate.json"]) {
    const r = await send(w, ivs(fixture("ivs", name)));
    assert.equal(r.status, 200, name);
    assert.equal(r.body.alert_queued, true, name);
  }
  const rec = (await w.api(IVS_PATH)).body;
  assert.equal(rec.state, "errored");
  assert.equal(rec.error.code, "StreamFailure");
  assert.equal(rec.error.message, "Transcode capacity exceeded. Please try again.");
  assert.ok(rec.error.hint.length > 20);
  assert.equal(rec.warning.code, "LimitBreach:Ingest Bitrate");
  const { body } = await w.api("/alerts?limit=200");
  const codes = body.alerts.filter((a) => a.provider === "ivs").map((a) => `${a.code}/${a.warning === true}`);
  for (const c of ["StreamFailure/false", "RecordingStartFailure/true", "LimitBreach:Ingest Bitrate/true"]) {
    assert.ok(codes.includes(c), `${c} in ${codes}`);
  }
});

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

test("cloudflare-stream: every fixture, signed, lands as a video record; errors alert", async () => {
  const expected = {
    "video-pendingupload.json": "created", "video-downloading.json": "processing",
    "video-queued.json": "processing", "video-inprogress.json": "processing",
    "video-ready.json": "ready", "video-ready-complete.json": "ready",
    "video-ready-clip-all-fields.json": "ready", "video-error.json": "errored",
    "video-error-legacy-errReason.json": "errored", "video-error-duration-exceed.json": "errored",
    "live-recording-live-inprogress.json": "processing", "live-recording-ready.json": "ready",
  };
  assert.deepEqual(Object.keys(expected).sort(), json(fixtureNames("cloudflare-stream")));
  for (const [name, state] of Object.entries(expected)) {
    const body = fixture("cloudflare-stream", name);
    const r = await send(w, cfStream(body));
    assert.equal(r.status, 200, `${name}: ${r.text}`);
    const uid = JSON.parse(body).uid;
    const st = await w.streamState(`cloudflare:video:${uid}`);
    assert.equal(st.record.kind, "video", name);
    // Several fixtures are one video at different times: the newest wins.
    assert.ok(st.record.state === state || st.record.updated_at > JSON.parse(body).modified, name);
  }
  const err = (await w.api("/streams/cloudflare/0ea62994907491cf9ebefb0a34c1e2c6?kind=video")).body;
  assert.equal(err.state, "errored");
  assert.equal(err.error.code, "ERR_MALFORMED_VIDEO");
  const { body } = await w.api("/alerts?limit=200");
  assert.ok(body.alerts.some((a) => a.code === "ERR_DURATION_EXCEED_CONSTRAINT" && a.kind === "video"));
});

test("cloudflare-stream: a recording names its live input, which learns its latest recording", async () => {
  const r = await send(w, cfStream(fixture("cloudflare-stream", "live-recording-ready.json")));
  assert.equal(r.status, 200, r.text);
  const video = (await w.api("/streams/cloudflare/6b6972f427f51793099c6b427783398e?kind=video")).body;
  assert.equal(video.parent_id, "eb222fcca08eeb1ae84c981ebe8aeeb6");
  assert.equal(video.name, "Stream Live Test 22 Sep 21 22:12 UTC");
  const input = await eventually(async () => {
    const x = await w.api("/streams/cloudflare/eb222fcca08eeb1ae84c981ebe8aeeb6");
    return x.status === 200 && x.body.latest_recording && x.body;
  });
  assert.equal(input.latest_recording, "6b6972f427f51793099c6b427783398e");
  assert.equal(input.kind, "live_input");
});

test("cloudflare-stream: forged, replayed or unsigned bodies are 401s that change nothing", async () => {
  const before = await w.kvKeys();
  const body = fixture("cloudflare-stream", "video-ready.json").toString().replace("2022-06-30T17:53:21", "2022-06-30T17:54:21");
  const now = Math.floor(Date.now() / 1000);
  for (const [what, opts] of [
    ["no signature", { secret: null }],
    ["another secret", { secret: "not-the-secret" }],
    ["an old time", { time: now - 301 }],
    ["a future time", { time: now + 301 }],
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
