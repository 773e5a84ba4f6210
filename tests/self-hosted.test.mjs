// Self-hosted media servers' hooks end to end on the real built worker (issue #22): their
// fixtures (tests/fixtures/{server}/, with SOURCES.md) in, through their authentication, the
// answer each server needs to let the publish go on, the records and history they leave, and
// the publishing-client rule for republishing, and a shuffled concurrent burst: SRS, nginx-rtmp,
// OvenMediaEngine and MediaMTX.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { startWorker, fixture, send, srs, nginxRtmp, mediamtx, ome, eventually, logLines, SECRETS, STREAM_KEY_SENTINELS } from "./helpers.mjs";

let w;
before(async () => { w = await startWorker(); });
after(async () => { await w.dispose(); });

const SRS_OK = { code: 0 };
const record = (id) => w.record(`status:srs:live_input:${id}`);
/** The stream's state from its own object, once it is `state` (the event is stored after the answer). */
const reaches = (id, state) => eventually(async () => (await w.api(`/streams/srs/${encodeURIComponent(id)}`)).body.state === state);
const history = async (id) => (await w.api(`/streams/srs/${encodeURIComponent(id)}/events`)).body.events;

test("srs: a publish and its unpublish set the stream live and then disconnected, each answered {\"code\":0}", async () => {
  const on = await send(w, srs(fixture("srs", "on-publish.json")));
  assert.equal(on.status, 200, on.text);
  assert.deepEqual(on.body, SRS_OK, "SRS refuses the publish on any other answer");
  const rec = await eventually(async () => (await record("live/studio-a"))?.state === "live" && record("live/studio-a"));
  assert.equal((await rec).last_event, "on_publish");
  // Read back by the percent-encoded path.
  const got = await w.api(`/streams/srs/${encodeURIComponent("live/studio-a")}`);
  assert.equal(got.status, 200);
  assert.equal(got.body.stream_id, "live/studio-a");
  // A player's hooks change nothing and leave no history entry.
  for (const name of ["on-connect.json", "on-play.json", "on-stop.json", "on-dvr.json", "on-hls.json", "on-close.json"]) {
    const r = await send(w, srs(fixture("srs", name)));
    assert.equal(r.status, 200, `${name}: ${r.text}`);
    assert.deepEqual(r.body, SRS_OK, name);
  }
  const stored = await eventually(async () => { const h = await history("live/studio-a"); return h.length > 0 && h; });
  assert.deepEqual(stored.map((e) => e.event_type), ["on_publish"]);
  const off = await send(w, srs(fixture("srs", "on-unpublish.json")));
  assert.deepEqual(off.body, SRS_OK);
  assert.ok(await eventually(async () => (await record("live/studio-a"))?.state === "disconnected"));
});

test("srs: an old session's late on_unpublish never undoes a new publish", async () => {
  const id = "live/reconnect";
  const body = (action, client) => JSON.stringify({ action, client_id: client, vhost: "__defaultVhost__", app: "live", stream: "reconnect", param: "" });
  for (const [action, client] of [["on_publish", "c1old00"], ["on_publish", "c2new00"], ["on_unpublish", "c1old00"]]) {
    const r = await send(w, srs(body(action, client)));
    assert.deepEqual(r.body, SRS_OK);
  }
  const three = await eventually(async () => ((await history(id)) ?? []).length === 3 && history(id));
  assert.deepEqual((await three).map((e) => [e.event_type, e.outcome]), [["on_unpublish", "stale"], ["on_publish", "applied"], ["on_publish", "applied"]]);
  assert.equal((await w.api(`/streams/srs/${encodeURIComponent(id)}`)).body.state, "live");
  await send(w, srs(body("on_unpublish", "c2new00")));
  assert.ok(await reaches(id, "disconnected"));
  // The fixture pair: another client's unpublish while live/studio-a is published again.
  await send(w, srs(fixture("srs", "on-publish.json")));
  assert.ok(await reaches("live/studio-a", "live"));
  const other = await send(w, srs(fixture("srs", "on-unpublish-other-client.json")));
  assert.deepEqual(other.body, SRS_OK);
  const stale = await eventually(async () => (await history("live/studio-a"))[0]?.outcome === "stale");
  assert.ok(stale, "the other client's unpublish is stale");
  assert.equal((await w.api(`/streams/srs/${encodeURIComponent("live/studio-a")}`)).body.state, "live");
});

test("srs: a vhost other than the default is part of the id; SRS 4's shape is read", async () => {
  assert.deepEqual((await send(w, srs(fixture("srs", "on-publish-vhost.json")))).body, SRS_OK);
  assert.ok(await reaches("studio.example.com/live/main", "live"));
  assert.deepEqual((await send(w, srs(fixture("srs", "on-publish-srs4.json")))).body, SRS_OK);
  assert.ok(await reaches("live/studio-c", "live"));
});

test("srs: a wrong token is a 401 (SRS then refuses the publish), bad bodies 400; nothing changes", async () => {
  const before = await w.kvKeys();
  const body = fixture("srs", "on-publish.json").toString().replace("studio-a", "forged");
  const wrong = await send(w, srs(body, { token: "not-the-token" }));
  assert.equal(wrong.status, 401, wrong.text);
  assert.equal(wrong.body.error, "unauthorized");
  assert.equal((await send(w, ["/webhooks/srs", { method: "POST", body }])).status, 404, "the token is part of the route");
  for (const bad of ["not json", "{}", '{"action":"on_publish","app":"live","stream":"a b"}', '{"action":"on_publish","app":"..","stream":"x"}']) {
    const r = await send(w, srs(bad));
    assert.equal(r.status, 400, `${bad}: ${r.text}`);
  }
  assert.deepEqual(await w.kvKeys(), before);
});

test("srs and nginx-rtmp: unset, the route answers 403 not_configured; /healthz says so, and the next token rotates in", async () => {
  const { SRS_WEBHOOK_TOKEN, NGINX_RTMP_WEBHOOK_TOKEN, ...others } = SECRETS;
  const bare = await startWorker({ bindings: others });
  try {
    for (const call of [srs(fixture("srs", "on-publish.json")), nginxRtmp(fixture("nginx-rtmp", "publish.form"), { token: NGINX_RTMP_WEBHOOK_TOKEN })]) {
      const r = await send(bare, call);
      assert.equal(r.status, 403, r.text);
      assert.equal(r.body.error, "not_configured");
    }
    const h = await (await bare.call("/healthz")).json();
    assert.equal(h.providers.srs.configured, false);
    assert.equal(h.providers["nginx-rtmp"].configured, false);
  } finally {
    await bare.dispose();
  }
  const rotating = await startWorker({ bindings: { ...SECRETS, SRS_WEBHOOK_TOKEN_NEXT: "next-srs-token", NGINX_RTMP_WEBHOOK_TOKEN_NEXT: "next-nginx-token" } });
  try {
    for (const token of [SRS_WEBHOOK_TOKEN, "next-srs-token"]) {
      const r = await send(rotating, srs(fixture("srs", "on-publish.json"), { token }));
      assert.deepEqual(r.body, SRS_OK, token === SRS_WEBHOOK_TOKEN ? "the current token" : "the next one");
    }
    for (const token of [NGINX_RTMP_WEBHOOK_TOKEN, "next-nginx-token"]) {
      const r = await send(rotating, nginxRtmp(fixture("nginx-rtmp", "publish.form"), { token }));
      assert.deepEqual([r.status, r.text], [200, ""], token);
    }
    assert.equal((await send(rotating, nginxRtmp(fixture("nginx-rtmp", "publish.form"), { token: "neither" }))).status, 401);
  } finally {
    await rotating.dispose();
  }
});

test("srs: 50 publishers at once each get {\"code\":0} and end live; a token in the publish URL reaches nothing", async () => {
  const body = (i) => JSON.stringify({ action: "on_publish", client_id: `burst${i}`, vhost: "__defaultVhost__", app: "burst", stream: `cam${i}`, param: "?token=SECRET-DO-NOT-LEAK", tcUrl: "rtmp://x/burst?token=SECRET-DO-NOT-LEAK" });
  const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => send(w, srs(body(i)))));
  assert.deepEqual(answers.map((a) => a.status), Array(50).fill(200));
  assert.ok(answers.every((a) => a.body.code === 0));
  const live = await eventually(async () => {
    const states = await Promise.all(Array.from({ length: 50 }, (_, i) => record(`burst/cam${i}`)));
    return states.every((r) => r?.state === "live");
  });
  assert.ok(live, "every publisher live in KV");
  for (const name of ["on-publish-token.json", "on-unpublish-token.json"]) {
    assert.deepEqual((await send(w, srs(fixture("srs", name)))).body, SRS_OK);
  }
  const dump = JSON.stringify(await Promise.all((await w.kvKeys()).map((k) => w.record(k))));
  const logs = JSON.stringify(logLines(w.logs));
  const streams = (await w.api("/streams?provider=srs&limit=100")).text;
  for (const s of [...STREAM_KEY_SENTINELS, SECRETS.SRS_WEBHOOK_TOKEN]) {
    assert.ok(!dump.includes(s) && !logs.includes(s) && !streams.includes(s), s);
  }
});

test("srs: the publish is answered before the event is stored, so a failing stream object never refuses it", async () => {
  const faulty = await startWorker({ faults: true });
  try {
    await faulty.fault("streams.call", "before");
    const r = await send(faulty, srs(fixture("srs", "on-publish.json")));
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body, SRS_OK, "SRS lets the publisher in");
    const logged = await eventually(() => logLines(faulty.logs).find((l) => l.msg === "webhook not stored"));
    assert.ok(logged, "the lost event is logged");
    await faulty.fault("streams.call", null);
    assert.deepEqual((await send(faulty, srs(fixture("srs", "on-unpublish.json")))).body, SRS_OK);
    assert.ok(await eventually(async () => (await faulty.record("status:srs:live_input:live/studio-a"))?.state === "disconnected"));
  } finally {
    await faulty.dispose();
  }
});

const nginx = (id) => w.api(`/streams/nginx-rtmp/${encodeURIComponent(id)}`);
const nginxEvents = async (id) => (await w.api(`/streams/nginx-rtmp/${encodeURIComponent(id)}/events`)).body.events ?? [];
/** nginx-rtmp reads only the status's first digit: every accepted call is a 200 with nothing in it. */
const nginxAccepts = (r, what) => {
  assert.equal(r.status, 200, `${what}: ${r.text}`);
  assert.equal(r.text, "", `${what}: an empty body`);
};

test("nginx-rtmp: publish sets the stream live and publish_done disconnects it, each answered 200 empty; players and other calls are only acknowledged", async () => {
  nginxAccepts(await send(w, nginxRtmp(fixture("nginx-rtmp", "publish.form"))), "publish");
  assert.ok(await eventually(async () => (await nginx("live/studio-a")).body.state === "live"));
  const rec = await eventually(async () => (await w.record("status:nginx-rtmp:live_input:live/studio-a"))?.state === "live");
  assert.ok(rec, "in KV");
  for (const name of ["connect.form", "play.form", "update-play.form", "play-done.form", "record-done.form", "done.form", "disconnect.form"]) {
    nginxAccepts(await send(w, nginxRtmp(fixture("nginx-rtmp", name))), name);
  }
  nginxAccepts(await send(w, nginxRtmp(fixture("nginx-rtmp", "publish-done.form"))), "publish_done");
  assert.ok(await eventually(async () => (await nginx("live/studio-a")).body.state === "disconnected"));
  const events = await eventually(async () => { const e = await nginxEvents("live/studio-a"); return e.length === 2 && e; });
  assert.deepEqual(events.map((e) => [e.event_type, e.outcome]), [["publish_done", "applied"], ["publish", "applied"]], "no player, no heartbeat in the history");
});

test("nginx-rtmp: an old session's publish_done is stale; a client's query overrides nothing and reaches nothing; bad bodies 400, a wrong token 401", async () => {
  const call = (c, client) => `app=live&flashver=FMLE/3.0&swfurl=&tcurl=rtmp://x/live&pageurl=&addr=192.0.2.1&clientid=${client}&call=${c}&name=again`;
  for (const [c, client] of [["publish", 21], ["publish", 22], ["publish_done", 21]]) {
    nginxAccepts(await send(w, nginxRtmp(call(c, client))), `${c} ${client}`);
  }
  const three = await eventually(async () => { const e = await nginxEvents("live/again"); return e.length === 3 && e; });
  assert.deepEqual(three.map((e) => [e.event_type, e.outcome]), [["publish_done", "stale"], ["publish", "applied"], ["publish", "applied"]]);
  assert.equal((await nginx("live/again")).body.state, "live");
  // The repeated keys of the client's query are not nginx-rtmp's: the stream is live/studio-g.
  nginxAccepts(await send(w, nginxRtmp(fixture("nginx-rtmp", "publish-args-repeat-keys.form"))), "repeat keys");
  assert.ok(await eventually(async () => (await nginx("live/studio-g")).body.state === "live"));
  for (const name of ["publish-token-args.form", "publish-token-tcurl.form", "update-publish-token-args.form"]) {
    nginxAccepts(await send(w, nginxRtmp(fixture("nginx-rtmp", name))), name);
  }
  assert.ok(await eventually(async () => (await nginx("live/studio-d")).body.state === "live"));
  const before = await w.kvKeys();
  const wrong = await send(w, nginxRtmp(fixture("nginx-rtmp", "publish.form").toString().replace("studio-a", "forged"), { token: "not-the-token" }));
  assert.equal(wrong.status, 401, "nginx-rtmp then refuses the publish");
  for (const bad of ["", "call=publish&app=live", "app=live&name=x", "call=publish&app=live&name=%zz", "call=publish&app=..&name=x", '{"call":"publish"}']) {
    const r = await send(w, nginxRtmp(bad));
    assert.equal(r.status, 400, `${JSON.stringify(bad)}: ${r.text}`);
  }
  assert.deepEqual(await w.kvKeys(), before);
  const dump = JSON.stringify(await Promise.all((await w.kvKeys()).map((k) => w.record(k))));
  const logs = JSON.stringify(logLines(w.logs));
  const streams = (await w.api("/streams?provider=nginx-rtmp&limit=100")).text;
  for (const s of ["SECRET-DO-NOT-LEAK", SECRETS.NGINX_RTMP_WEBHOOK_TOKEN]) {
    assert.ok(!dump.includes(s) && !logs.includes(s) && !streams.includes(s), s);
  }
});

test("nginx-rtmp: update_publish heartbeats verify a live stream; when they stop for NGINX_RTMP_STALE_AFTER it is marked disconnected and the offline incident opens", async () => {
  const watched = await startWorker({ vars: { NGINX_RTMP_STALE_AFTER: "2", INCIDENT_OFFLINE_AFTER: "1" } });
  try {
    const state = async (id) => (await watched.api(`/streams/nginx-rtmp/${encodeURIComponent(id)}`)).body;
    // A heartbeat of a stream never heard of: its publish was lost, and nginx says it publishes.
    nginxAccepts(await send(watched, nginxRtmp(fixture("nginx-rtmp", "update-publish-token-args.form"))), "heartbeat, publish lost");
    assert.ok(await eventually(async () => (await state("live/studio-c")).state === "live"));
    assert.equal((await state("live/studio-c")).last_event, "update_publish");
    nginxAccepts(await send(watched, nginxRtmp(fixture("nginx-rtmp", "publish.form"))), "publish");
    assert.ok(await eventually(async () => (await state("live/studio-a")).state === "live"));
    assert.equal((await state("live/studio-a")).verified_at, undefined, "no heartbeat yet");
    // Heartbeats every second keep it live past the 2 s watch, and verify it.
    for (let i = 0; i < 3; i++) {
      nginxAccepts(await send(watched, nginxRtmp(fixture("nginx-rtmp", "update-publish.form"))), "heartbeat");
      await new Promise((r) => setTimeout(r, 1000));
    }
    const live = await state("live/studio-a");
    assert.equal(live.state, "live");
    assert.match(live.verified_at ?? "", /^\d{4}-\d\d-\d\dT/, "verified by its heartbeats");
    // nginx dies: no publish_done, no heartbeat.
    const stopped = await eventually(async () => (await state("live/studio-a")).state === "disconnected", 8000);
    assert.ok(stopped, "marked disconnected when the heartbeats stopped");
    assert.equal((await state("live/studio-a")).last_event, "heartbeats_stopped");
    const events = (await watched.api(`/streams/nginx-rtmp/${encodeURIComponent("live/studio-a")}/events`)).body.events;
    assert.deepEqual(events.map((e) => [e.event_type, e.outcome]), [["heartbeats_stopped", "applied"], ["publish", "applied"]]);
    const incident = await eventually(async () => {
      const list = (await watched.api("/incidents?state=open")).body.incidents ?? [];
      return list.find((i) => i.stream_id === "live/studio-a" && i.cause === "offline");
    }, 8000);
    assert.ok(incident, "an offline incident opens as after any lost stream");
    const h = await (await watched.call("/healthz")).json();
    assert.equal(h.alerts.nginx_rtmp_stale_after_seconds, 2);
  } finally {
    await watched.dispose();
  }
});

test("nginx-rtmp: a second publisher refused with \"Already publishing\" stops the stream with its publish_done; the first one's next heartbeat puts it back on air", async () => {
  const id = "live/refused";
  const call = (c, client) => `app=live&flashver=FMLE/3.0&swfurl=&tcurl=rtmp://x/live&pageurl=&addr=192.0.2.1&clientid=${client}&call=${c}&name=refused`;
  const heartbeat = (client) => `app=live&flashver=FMLE/3.0&swfurl=&tcurl=rtmp://x/live&pageurl=&addr=192.0.2.1&clientid=${client}&call=update_publish&time=30&timestamp=29968&name=refused`;
  for (const [c, client] of [["publish", 31], ["publish", 32], ["publish_done", 32]]) {
    nginxAccepts(await send(w, nginxRtmp(call(c, client))), `${c} ${client}`);
  }
  assert.ok(await eventually(async () => (await nginx(id)).body.state === "disconnected"), "the refused client's stop applies (the issue's rule)");
  nginxAccepts(await send(w, nginxRtmp(heartbeat(31))), "client 31's heartbeat");
  assert.ok(await eventually(async () => (await nginx(id)).body.state === "live"), "client 31 never stopped");
  const events = await nginxEvents(id);
  assert.deepEqual(events.slice(0, 2).map((e) => [e.event_type, e.outcome]), [["update_publish", "applied"], ["publish_done", "applied"]]);
  // Its own stop ends it; a heartbeat it sent before that stop changes nothing after it.
  nginxAccepts(await send(w, nginxRtmp(call("publish_done", 31))), "publish_done 31");
  assert.ok(await eventually(async () => (await nginx(id)).body.state === "disconnected"));
  nginxAccepts(await send(w, nginxRtmp(heartbeat(31))), "a late heartbeat");
  await new Promise((r) => setTimeout(r, 300));
  assert.equal((await nginx(id)).body.state, "disconnected");
});

test("nginx-rtmp: the calls are answered before they are stored, so a failing stream object never refuses a publish or drops a publisher", async () => {
  const faulty = await startWorker({ faults: true });
  try {
    await faulty.fault("streams.call", "before");
    for (const name of ["publish.form", "update-publish.form"]) {
      nginxAccepts(await send(faulty, nginxRtmp(fixture("nginx-rtmp", name))), name);
    }
    const logged = await eventually(() => {
      const msgs = logLines(faulty.logs).map((l) => l.msg);
      return msgs.includes("webhook not stored") && msgs.includes("heartbeat not stored");
    });
    assert.ok(logged, "both losses are logged");
  } finally {
    await faulty.dispose();
  }
});

/** The body the MediaMTX recipe's curl sends for `event`, with MediaMTX's variables `vars`. */
function recipe(event, vars, generation = "current") {
  return execFileSync("bash", ["tests/fixtures/mediamtx/recipe.sh", "body", event, generation], { env: { ...process.env, ...vars }, encoding: "utf8" });
}

const mtxState = (id) => eventually(async () => (await w.api(`/streams/mediamtx/${encodeURIComponent(id)}`)).body.state);

test("mediamtx: the recipe's bodies, both hook generations, set a path live and then disconnected", async () => {
  for (const [generation, path] of [["current", "live/recipe-now"], ["legacy", "live/recipe-old"]]) {
    const vars = { MTX_PATH: path, MTX_SOURCE_TYPE: "rtmpConn", MTX_SOURCE_ID: "6f1c9a52-3d4e-4b8a-9f27-0c5e8d1b2a43" };
    const ready = recipe("ready", vars, generation);
    assert.deepEqual(JSON.parse(ready), { event: "ready", path, source_type: "rtmpConn", source_id: vars.MTX_SOURCE_ID });
    const on = await send(w, mediamtx(ready));
    assert.equal(on.status, 200, on.text);
    assert.equal(on.body.outcome, "applied");
    assert.equal(on.body.stream, `mediamtx:live_input:${path}`);
    assert.equal(await mtxState(path), "live");
    const off = await send(w, mediamtx(recipe("not_ready", vars, generation)));
    assert.equal(off.body.outcome, "applied");
    assert.equal((await w.api(`/streams/mediamtx/${encodeURIComponent(path)}`)).body.state, "disconnected");
  }
});

test("mediamtx: another session's not_ready is stale; a pulled source names none; bad bodies 400, a wrong token 401", async () => {
  for (const name of ["ready-rtmp.json", "not-ready-other-source.json"]) await send(w, mediamtx(fixture("mediamtx", name)));
  const events = (await w.api(`/streams/mediamtx/${encodeURIComponent("live/studio-a")}/events`)).body.events;
  assert.deepEqual(events.map((e) => [e.event_type, e.outcome]), [["not_ready", "stale"], ["ready", "applied"]]);
  assert.equal((await send(w, mediamtx(fixture("mediamtx", "not-ready-rtmp.json")))).body.outcome, "applied");
  for (const name of ["ready-static.json", "not-ready-static.json"]) {
    assert.equal((await send(w, mediamtx(fixture("mediamtx", name)))).body.outcome, "applied", name);
  }
  assert.equal((await w.api("/streams/mediamtx/cam1")).body.state, "disconnected");
  const before = await w.kvKeys();
  const unset = recipe("ready", { MTX_PATH: "", MTX_SOURCE_TYPE: "", MTX_SOURCE_ID: "" });
  for (const bad of [unset, '{"event":"gone","path":"cam1"}', '{"event":"ready"}', "not json"]) {
    const r = await send(w, mediamtx(bad));
    assert.equal(r.status, 400, `${bad}: ${r.text}`);
  }
  assert.equal((await send(w, mediamtx(fixture("mediamtx", "ready-rtsp.json"), { token: "nope" }))).status, 401);
  assert.deepEqual(await w.kvKeys(), before);
});

const omeState = (id) => w.api(`/streams/ovenmediaengine/${encodeURIComponent(id)}`);

test("ovenmediaengine: an opening is allowed and sets the stream live, its closing gets {} and disconnects it; players are only acknowledged", async () => {
  const open = await send(w, ome(fixture("ovenmediaengine", "incoming-opening.json")));
  assert.equal(open.status, 200, open.text);
  assert.deepEqual(open.body, { allowed: true }, "OvenMediaEngine refuses the publish otherwise");
  assert.ok(await eventually(async () => (await omeState("app/studio-a")).body.state === "live"));
  for (const [name, answer] of [["outgoing-opening.json", { allowed: true }], ["outgoing-closing.json", {}]]) {
    assert.deepEqual((await send(w, ome(fixture("ovenmediaengine", name)))).body, answer, name);
  }
  const close = await send(w, ome(fixture("ovenmediaengine", "incoming-closing.json")));
  assert.deepEqual(close.body, {});
  assert.ok(await eventually(async () => (await omeState("app/studio-a")).body.state === "disconnected"));
  const events = (await w.api(`/streams/ovenmediaengine/${encodeURIComponent("app/studio-a")}/events`)).body.events;
  assert.deepEqual(events.map((e) => e.event_type), ["incoming.closing", "incoming.opening"], "no player in the history");
});

test("ovenmediaengine: times with offsets order the events; a token in the URL reaches nothing; a bad signature is a 401", async () => {
  // The closing (+09:00) arrives first; the opening is older as an instant: stale.
  assert.deepEqual((await send(w, ome(fixture("ovenmediaengine", "incoming-closing-token.json")))).body, {});
  assert.ok(await eventually(async () => (await omeState("app/studio-b")).body.state === "disconnected"));
  assert.deepEqual((await send(w, ome(fixture("ovenmediaengine", "incoming-opening-token.json")))).body, { allowed: true });
  const events = await eventually(async () => {
    const e = (await w.api(`/streams/ovenmediaengine/${encodeURIComponent("app/studio-b")}/events`)).body.events;
    return e.length === 2 && e;
  });
  assert.deepEqual(events.map((e) => [e.event_type, e.outcome]), [["incoming.opening", "stale"], ["incoming.closing", "applied"]]);
  assert.equal((await omeState("app/studio-b")).body.state, "disconnected");
  const before = await w.kvKeys();
  const body = fixture("ovenmediaengine", "incoming-opening-whip.json");
  for (const opts of [{ secret: null }, { secret: "not-the-secret" }]) {
    const r = await send(w, ome(body, opts));
    assert.equal(r.status, 401, r.text);
  }
  assert.deepEqual(await w.kvKeys(), before);
  const dump = JSON.stringify(await Promise.all((await w.kvKeys()).map((k) => w.record(k))));
  const logs = JSON.stringify(logLines(w.logs));
  for (const s of ["SECRET-DO-NOT-LEAK", SECRETS.OME_WEBHOOK_SECRET]) assert.ok(!dump.includes(s) && !logs.includes(s), s);
});

/** Fisher–Yates, in place. */
function shuffled(list) {
  for (let i = list.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [list[i], list[j]] = [list[j], list[i]];
  }
  return list;
}

/**
 * Each server's sessions for stream `n` of a burst: calls in the order the server sends them.
 * Even streams end on air (a second session starts), odd ones off air.
 */
const BURST = {
  srs: {
    id: (n) => `shuffle/cam${n}`,
    calls(n) {
      const c = (action, client) => srs(JSON.stringify({ action, client_id: `s${n}x${client}`, vhost: "__defaultVhost__", app: "shuffle", stream: `cam${n}` }));
      return [c("on_publish", 1), c("on_unpublish", 1), ...(n % 2 ? [] : [c("on_publish", 2)])];
    },
  },
  "nginx-rtmp": {
    id: (n) => `shuffle/cam${n}`,
    calls(n) {
      const c = (call, client) => nginxRtmp(`app=shuffle&flashver=FMLE/3.0&swfurl=&tcurl=rtmp://x/shuffle&pageurl=&addr=192.0.2.9&clientid=${n * 10 + client}&call=${call}&name=cam${n}`);
      return [c("publish", 1), c("update_publish", 1), c("publish_done", 1), ...(n % 2 ? [] : [c("publish", 2), c("update_publish", 2)])];
    },
  },
  mediamtx: {
    id: (n) => `shuffle/cam${n}`,
    calls(n) {
      const c = (event, source) => mediamtx(JSON.stringify({ event, path: `shuffle/cam${n}`, source_type: "rtmpConn", source_id: `src-${n}-${source}` }));
      return [c("ready", 1), c("not_ready", 1), ...(n % 2 ? [] : [c("ready", 2)])];
    },
  },
};

test("self-hosted: a concurrent burst over 20 streams of each server, streams shuffled and every call sent twice at once, ends each stream in its last session's state", async () => {
  const STREAMS = 20;
  const work = [];
  for (const [server, b] of Object.entries(BURST)) {
    for (let n = 0; n < STREAMS; n++) work.push({ server, n, calls: b.calls(n) });
  }
  // OvenMediaEngine orders by its own times: its calls go out fully shuffled, each twice at once.
  const omeCalls = [];
  for (let n = 0; n < STREAMS; n++) {
    const at = (s) => new Date(Date.UTC(2026, 11, 7, 12, 0, s)).toISOString().replace("Z", "+00:00");
    const c = (status, s) => ome(JSON.stringify({ client: { address: "192.0.2.9", port: 40000 + n }, request: { direction: "incoming", protocol: "RTMP", status, time: at(s), url: `rtmp://ome.example.com:1935/shuffle/cam${n}` } }));
    omeCalls.push(c("opening", 1), c("closing", 2), ...(n % 2 ? [] : [c("opening", 3)]));
  }
  // The receipt-ordered servers send one stream's calls in order; streams run at once, shuffled.
  const sessions = shuffled(work).map(async ({ calls }) => {
    for (const call of calls) {
      const twice = await Promise.all([send(w, call), send(w, call)]);
      for (const a of twice) assert.equal(a.status, 200, a.text);
    }
  });
  const omeBurst = Promise.all(shuffled([...omeCalls, ...omeCalls]).map(async (call) => assert.equal((await send(w, call)).status, 200)));
  await Promise.all([...sessions, omeBurst]);
  const want = (n) => (n % 2 ? "disconnected" : "live");
  const settled = await eventually(async () => {
    const reads = [];
    for (const [server, b] of Object.entries({ ...BURST, ovenmediaengine: { id: (n) => `shuffle/cam${n}` } })) {
      for (let n = 0; n < STREAMS; n++) reads.push(w.record(`status:${server}:live_input:${b.id(n)}`).then((r) => [server, n, r?.state]));
    }
    const states = await Promise.all(reads);
    const wrong = states.filter(([, n, s]) => s !== want(n));
    return wrong.length === 0;
  }, 15_000);
  assert.ok(settled, "every stream in KV in its last session's state");
  // A call sent twice is stored once: the copy is a duplicate (or, for OvenMediaEngine's
  // out-of-order copies, stale), never a second change.
  for (const server of ["srs", "mediamtx", "ovenmediaengine"]) {
    const events = (await w.api(`/streams/${server}/${encodeURIComponent("shuffle/cam0")}/events`)).body.events;
    const seen = JSON.stringify(events.map((e) => [e.event_type, e.outcome]));
    assert.equal(events.length, 6, `${server}: each call twice: ${seen}`);
    assert.equal(events.filter((e) => e.outcome === "duplicate").length, 3, `${server}: ${seen}`);
    const applied = events.filter((e) => e.outcome === "applied").length;
    if (server === "ovenmediaengine") assert.ok(applied >= 1 && applied <= 3, seen); // the rest stale
    else assert.equal(applied, 3, `${server}: in order, each applied once: ${seen}`);
  }
});
