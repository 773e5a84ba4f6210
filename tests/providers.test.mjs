// The providers added on the same endpoint (Amazon IVS, Cloudflare Stream videos, Mux, Livepeer),
// end to end on the real built worker: their fixtures in, through their authentication, records
// in KV and in the stream's object, alerts and warnings in the hub.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import {
  startWorker, fixture, fixtureNames, send, eventually, ivs, cfStream, mux, livepeer,
  STREAM_KEY_SENTINELS, SECRETS, logLines,
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

const MUX_STREAM = "QrikEQpEXp3RvklQSHyHSYOakQkXlRId";
const MUX_TARGET = "vuOfW021mz5QA500wYEQ9SeUYvuYnpFz011mqSvski5T8claN02JN9ve2g";

test("mux: a broadcast, shuffled, lands with its warning, its target and their errors", async () => {
  const broadcast = [
    "live-stream-created.json", "simulcast-target-created.json", "live-stream-connected.json",
    "simulcast-target-starting.json", "live-stream-recording.json", "live-stream-active.json",
    "simulcast-target-broadcasting.json", "live-stream-warning.json", "simulcast-target-errored.json",
  ];
  const order = [4, 8, 1, 6, 0, 7, 3, 5, 2].map((i) => broadcast[i]);
  for (const name of order) {
    const r = await send(w, mux(fixture("mux", name)));
    assert.equal(r.status, 200, `${name}: ${r.text}`);
  }
  const live = (await w.api(`/streams/mux/${MUX_STREAM}`)).body;
  assert.equal(live.state, "live");
  assert.equal(live.recording, true);
  assert.equal(live.name, "Main stage");
  assert.equal(live.warning.code, "slate_download_failed");
  assert.equal(live.last_event, "video.live_stream.warning");
  const target = (await w.api(`/streams/mux/${MUX_TARGET}?kind=simulcast_target`)).body;
  assert.equal(target.state, "errored");
  assert.equal(target.parent_id, MUX_STREAM);
  assert.equal(target.error.code, "simulcast_target_errored:normal");
  const { body } = await w.api("/alerts?limit=200");
  const mine = body.alerts.filter((a) => a.provider === "mux");
  assert.ok(mine.some((a) => a.warning === true && a.code === "slate_download_failed"));
  assert.ok(mine.some((a) => a.kind === "simulcast_target" && a.state === "errored"));
  // The rest of the day, then: the warning ends with the broadcast.
  for (const name of [
    "simulcast-target-updated.json", "live-stream-disconnected.json", "simulcast-target-idle.json",
    "live-stream-idle.json", "live-stream-updated.json", "live-stream-disabled.json",
    "live-stream-enabled.json", "simulcast-target-deleted.json", "live-stream-deleted.json",
  ]) {
    assert.equal((await send(w, mux(fixture("mux", name)))).status, 200, name);
  }
  const end = await eventually(async () => {
    const x = await w.record(`status:mux:live_input:${MUX_STREAM}`);
    return x?.state === "deleted" && x;
  });
  assert.equal(end.warning, undefined);
  assert.equal(end.recording, false);
  // Redelivered (Mux retries for 24 h): a duplicate.
  const again = await send(w, mux(fixture("mux", "live-stream-active.json")));
  assert.equal(again.body.outcome, "duplicate");
  const other = await send(w, mux(fixture("mux", "asset-ready.json")));
  assert.equal(other.body.outcome, "ignored");
});

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

const LP_STREAM = "d23f0824-128b-4f33-8c5c-7fd0a6a3a450";
const LP_SESSION = "9531985d-5d9d-49f8-9818-e811892f902b";
const LP_TARGET = "36f675cc-81e7-4ef5-a8e2-5d940ed90475";

test("livepeer: a broadcast, shuffled and retried, ends idle with its latest recording", async () => {
  const names = json(fixtureNames("livepeer"));
  const order = [...names].reverse();
  for (const name of [...order, ...order]) {
    const r = await send(w, livepeer(fixture("livepeer", name)));
    assert.equal(r.status, 200, `${name}: ${r.text}`);
  }
  const rec = await eventually(async () => {
    const x = (await w.api(`/streams/livepeer/${LP_STREAM}`)).body;
    return x.last_event === "recording.ready" && x;
  });
  assert.equal(rec.state, "idle");
  assert.equal(rec.recording, false);
  assert.equal(rec.latest_recording, LP_SESSION);
  assert.equal(rec.name, "Main stage");
  const target = (await w.api(`/streams/livepeer/${LP_TARGET}?kind=simulcast_target`)).body;
  assert.equal(target.state, "disconnected");
  assert.equal(target.parent_id, LP_STREAM);
  const alerts = await w.api(`/alerts?stream=${encodeURIComponent(`livepeer:simulcast_target:${LP_TARGET}`)}`);
  assert.equal(alerts.body.alerts.length, 1);
  assert.equal(alerts.body.alerts[0].code, "multistream.error");
  const history = (await w.api(`/streams/livepeer/${LP_STREAM}/events?limit=100`)).body.events;
  assert.equal(history.filter((e) => e.outcome === "duplicate").length, history.length / 2);
});

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
