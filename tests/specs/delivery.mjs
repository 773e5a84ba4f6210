// Delivery specs that hold for any worker with livehook's design: ordering (newest wins, per
// field; Gcore by arrival), de-duplication of redeliveries, alerts handed to the hub, and the
// stream reads that show them. Each is registered by name where it always ran
// (tests/webhooks.test.mjs, tests/providers.test.mjs, against livehook, with those files' other
// specs around it) and again against the JavaScript worker with livehook's design
// (tests/same-guarantees.test.mjs).
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  fixture, fixtureNames, send, eventually, cloudflare, gcore, ivs, cfStream, mux, livepeer,
} from "../helpers.mjs";

export const CF_INPUT = "status:cloudflare:live_input:eb222fcca08eeb1ae84c981ebe8aeeb6";
export const CHANNEL = "arn:aws:ivs:us-west-2:123456789012:channel/AbCdef1G2hij";
export const IVS_PATH = `/streams/ivs/${encodeURIComponent(CHANNEL)}`;
export const MUX_STREAM = "QrikEQpEXp3RvklQSHyHSYOakQkXlRId";
export const MUX_TARGET = "vuOfW021mz5QA500wYEQ9SeUYvuYnpFz011mqSvski5T8claN02JN9ve2g";
export const LP_STREAM = "d23f0824-128b-4f33-8c5c-7fd0a6a3a450";
export const LP_SESSION = "9531985d-5d9d-49f8-9818-e811892f902b";
export const LP_TARGET = "36f675cc-81e7-4ef5-a8e2-5d940ed90475";

const json = (names) => names.filter((n) => n.endsWith(".json"));

/** Each spec by its test name: `async (w) => …` against a worker `w` (tests/helpers.mjs). */
export const SPECS = {
  "cloudflare seed 001 errored (fixed) is stored with code, message, hint and becomes an alert": async (w) => {
    const r = await send(w, cloudflare(fixture("cloudflare", "seed-001-errored-fixed.json")));
    assert.equal(r.status, 200);
    assert.equal(r.body.alert_queued, true);
    const rec = await eventually(async () => {
      const x = await w.record(CF_INPUT);
      return x?.state === "errored" && x;
    });
    assert.equal(rec.error.code, "ERR_GOP_OUT_OF_RANGE");
    assert.equal(rec.error.message, "Input GOP size or keyframe interval is out of range.");
    assert.match(rec.error.hint, /keyframe interval/i);
    const alerts = await w.api("/alerts");
    assert.equal(alerts.status, 200);
    const a = alerts.body.alerts.find((x) => x.code === "ERR_GOP_OUT_OF_RANGE");
    assert.ok(a, "alert stored in the hub");
    assert.equal(a.stream_id, "eb222fcca08eeb1ae84c981ebe8aeeb6");
    assert.equal(a.occurred_at, "2024-07-09T18:07:51.077371662Z");
    // The outbox emptied: the hub confirmed.
    const st = await w.streamState("cloudflare:live_input:eb222fcca08eeb1ae84c981ebe8aeeb6");
    assert.deepEqual(st.outbox, []);
  },
  "every gcore seed message is accepted; ids of different kinds do not collide": async (w) => {
    // The doc's order (seed 003): Gcore has no event time, so arrival order decides.
    const docOrder = [
      "stream-started.json", "stream-paused.json", "stream-recording-started.json", "stream-recording-finished.json",
      "recording-processing-started.json", "recording-partially-processed.json", "recording-processed.json",
      "broadcast-pending.json", "broadcast-live.json", "broadcast-finished.json", "broadcast-paused.json",
      "video-uploaded.json", "video-processing-started.json", "video-partially-processed.json", "video-processed.json",
    ];
    assert.deepEqual([...docOrder].sort(), fixtureNames("gcore"));
    for (const name of docOrder) {
      const r = await send(w, gcore(fixture("gcore", name)));
      assert.equal(r.status, 200, name);
      assert.notEqual(r.body.outcome, "ignored", name);
    }
    const states = await eventually(async () => {
      const s = {
        stream: (await w.record("status:gcore:live_input:12345"))?.state,
        recording: (await w.record("status:gcore:video:12345"))?.state,
        broadcast: (await w.record("status:gcore:broadcast:12345"))?.state,
        upload: (await w.record("status:gcore:video:54321"))?.state,
        video: (await w.record("status:gcore:video:784280"))?.state,
      };
      return s.broadcast === "paused" && s.video === "ready" && s.recording === "ready" && s;
    });
    // The last message of each kind, in the doc's order, wins (Gcore has no event time).
    assert.deepEqual(states, { stream: "live", recording: "ready", broadcast: "paused", upload: "created", video: "ready" });
    const stream = await w.record("status:gcore:live_input:12345");
    assert.equal(stream.recording, false);
    assert.equal(stream.last_event, "stream.live");
  },
  "a gcore stream going live is readable through the API": async (w) => {
    await send(w, gcore(fixture("gcore", "stream-paused.json")));
    await send(w, gcore(fixture("gcore", "stream-recording-started.json")));
    const rec = await eventually(async () => {
      const r = await w.api("/streams/gcore/12345");
      return r.body.state === "live" && r.body.recording === true && r.body;
    });
    assert.equal(rec.kind, "live_input");
  },
  "ivs: a whole session, delivered shuffled and twice, ends idle and not recording": async (w) => {
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
  },
  "ivs: failures are errors with a hint, recording failures and limits are warnings": async (w) => {
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
  },
  "cloudflare-stream: every fixture, signed, lands as a video record; errors alert": async (w) => {
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
  },
  "cloudflare-stream: a recording names its live input, which learns its latest recording": async (w) => {
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
  },
  "mux: a broadcast, shuffled, lands with its warning, its target and their errors": async (w) => {
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
  },
  "livepeer: a broadcast, shuffled and retried, ends idle with its latest recording": async (w) => {
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
  },
};

/** Registers spec `name` against the worker `getWorker()` returns when the test runs. */
export function spec(name, getWorker) {
  if (!Object.hasOwn(SPECS, name)) throw new Error(`no spec named ${JSON.stringify(name)}`);
  test(name, () => SPECS[name](getWorker()));
}
