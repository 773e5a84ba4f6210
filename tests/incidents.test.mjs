// Incidents end to end on the real built Wasm: opened by an error and by a stream that stays off
// air, joined, acknowledged, resolved by recovery and by hand, listed from the open index, and
// kept on time across a restart in the middle of a grace period.
import { test, afterEach } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  startWorker, send, cloudflare, cfErrored, cfDisconnected, cfConnected, eventually, sleep,
  FAST_ALERTS, runCleanups,
} from "./helpers.mjs";

const cleanups = [];
afterEach(async () => {
  await runCleanups(cleanups);
});

const INPUT = "a1b2c3d4e5f60718293a4b5c6d7e8f90";
const STREAM = `cloudflare:live_input:${INPUT}`;

async function setup(vars = {}, persist) {
  const w = await startWorker({ vars: { ...FAST_ALERTS, ...vars }, persist });
  cleanups.push(() => w.dispose());
  return w;
}

async function webhook(w, body) {
  const r = await send(w, cloudflare(body));
  assert.equal(r.status, 200, r.text);
  return r.body;
}

/** Seconds from now, as RFC 3339 (provider times must move forward). */
const at = (s) => new Date(Date.now() + s * 1000).toISOString();

async function incidents(w, query = "") {
  const r = await w.api(`/incidents${query}`);
  assert.equal(r.status, 200, r.text);
  return r.body;
}

test("an error opens one incident, further errors join it, recovery resolves it after the stable wait", async () => {
  const w = await setup({ INCIDENT_STABLE_AFTER: "1" });
  await webhook(w, cfConnected({ at: at(0) }));
  await webhook(w, cfErrored({ code: "ERR_GOP_OUT_OF_RANGE", at: at(1) }));
  const open = await eventually(async () => (await incidents(w, "?state=open")).incidents[0]);
  assert.ok(open, "listed within 5 s");
  assert.match(open.id, /^inc_[0-9a-f]{24}$/);
  assert.deepEqual(
    [open.provider, open.kind, open.stream_id, open.cause, open.state, open.error.code, open.resolved_at, open.resolved_by],
    ["cloudflare", "live_input", INPUT, "errored", "open", "ERR_GOP_OUT_OF_RANGE", null, null],
  );
  await webhook(w, cfErrored({ code: "ERR_STORAGE_QUOTA_EXHAUSTED", at: at(2) }));
  const joined = await eventually(async () => {
    const r = await w.api(`/incidents/${open.id}`);
    return r.body.repeat_count === 1 && r.body;
  });
  assert.ok(joined, "the second error joined");
  assert.equal(joined.error.code, "ERR_STORAGE_QUOTA_EXHAUSTED", "the newest error");
  assert.deepEqual(joined.timeline.map((e) => e.change), ["opened", "joined"]);
  assert.equal((await incidents(w)).incidents.length, 1, "never a second incident");

  await webhook(w, cfConnected({ at: at(3) }));
  const resolved = await eventually(async () => {
    const r = await w.api(`/incidents/${open.id}`);
    return r.body.state === "resolved" && r.body;
  }, 6000);
  assert.ok(resolved, "resolved after a second on air");
  assert.equal(resolved.resolved_by, "recovery");
  assert.ok(resolved.duration_ms >= 0);
  assert.deepEqual((await incidents(w, "?state=open")).incidents, []);
  assert.equal((await incidents(w, "?state=resolved")).incidents[0].id, open.id);
});

test("a stream that leaves the air opens an offline incident only if it stays off past the grace period", async () => {
  const w = await setup({ INCIDENT_OFFLINE_AFTER: "2", INCIDENT_STABLE_AFTER: "1" });
  await webhook(w, cfConnected({ at: at(0) }));
  await webhook(w, cfDisconnected({ at: at(1) }));
  await sleep(500);
  await webhook(w, cfConnected({ at: at(2) }));
  await sleep(2500);
  assert.deepEqual((await incidents(w)).incidents, [], "back on air in time: nothing opened");

  await webhook(w, cfDisconnected({ at: at(3) }));
  const open = await eventually(async () => (await incidents(w, "?cause=offline")).incidents[0], 6000);
  assert.ok(open, "opened by the alarm");
  assert.equal(open.state, "open");
  assert.equal(open.error, null);
});

test("acknowledge and resolve by hand: 404 for an unknown id, 409 once resolved; the next error opens a new incident", async () => {
  const w = await setup();
  await webhook(w, cfErrored({ at: at(0) }));
  const open = await eventually(async () => (await incidents(w, "?state=open")).incidents[0]);
  assert.equal((await w.api("/incidents/inc_000000000000000000000000")).status, 404);
  assert.equal((await w.api("/incidents/inc_000000000000000000000000/resolve", { method: "POST" })).status, 404);
  const ack = await w.api(`/incidents/${open.id}/acknowledge`, { method: "POST" });
  assert.equal(ack.status, 200, ack.text);
  assert.equal(ack.body.state, "acknowledged");
  assert.ok(ack.body.acknowledged_at);
  assert.equal((await incidents(w, "?state=acknowledged")).incidents[0].id, open.id);
  assert.deepEqual((await incidents(w, "?state=open")).incidents, []);

  const resolved = await w.api(`/incidents/${open.id}/resolve`, { method: "POST" });
  assert.equal(resolved.status, 200, resolved.text);
  assert.equal(resolved.body.state, "resolved");
  assert.equal(resolved.body.resolved_by, "manual");
  assert.deepEqual(resolved.body.timeline.map((e) => e.change), ["opened", "acknowledged", "resolved"]);
  const again = await w.api(`/incidents/${open.id}/resolve`, { method: "POST" });
  assert.equal(again.status, 409);
  assert.equal(again.body.error, "conflict");
  assert.equal((await w.api(`/incidents/${open.id}/acknowledge`, { method: "POST" })).status, 409);

  await webhook(w, cfErrored({ at: at(1) }));
  const next = await eventually(async () => (await incidents(w, "?state=open")).incidents[0]);
  assert.ok(next && next.id !== open.id, "a new incident");
  assert.equal((await incidents(w, `?stream=${STREAM}`)).incidents.length, 2);
});

test("a stale or duplicate event opens, joins and resolves nothing", async () => {
  const w = await setup({ INCIDENT_STABLE_AFTER: "1" });
  const now = Date.now();
  await webhook(w, cfConnected({ at: new Date(now).toISOString() }));
  // An error older than the connection: stale.
  const stale = await webhook(w, cfErrored({ at: new Date(now - 60_000).toISOString() }));
  assert.equal(stale.outcome, "stale");
  await sleep(1500);
  assert.deepEqual((await incidents(w)).incidents, []);
  const error = cfErrored({ at: new Date(now + 1000).toISOString() });
  await webhook(w, error);
  const open = await eventually(async () => (await incidents(w)).incidents[0]);
  assert.equal((await webhook(w, error)).outcome, "duplicate");
  await sleep(500);
  const detail = (await w.api(`/incidents/${open.id}`)).body;
  assert.equal(detail.repeat_count, 0, "a duplicate joins nothing");
});

test("bad queries are 400 and change nothing; the routes need the bearer token", async () => {
  const w = await setup();
  for (const q of ["?state=broken", "?cause=down", "?limit=0", "?limit=201", "?provider=youtube", "?stream=nope", "?cursor=abc"]) {
    const r = await w.api(`/incidents${q}`);
    assert.equal(r.status, 400, `${q}: ${r.text}`);
  }
  const anon = await w.call("/incidents");
  assert.equal(anon.status, 401);
  assert.equal((await w.call("/incidents/inc_0/resolve", { method: "POST" })).status, 401);
  assert.equal((await w.api("/incidents/inc_0/resolve")).status, 405);
});

test("a restart in the middle of a grace period still opens the offline incident on time", async () => {
  const dir = mkdtempSync(path.join(tmpdir(), "livehook-incident-restart-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const vars = { ...FAST_ALERTS, INCIDENT_OFFLINE_AFTER: "3" };
  let w = await startWorker({ vars, persist: dir });
  await webhook(w, cfConnected({ at: at(0) }));
  await webhook(w, cfDisconnected({ at: at(1) }));
  await w.dispose();
  w = await startWorker({ vars, persist: dir });
  cleanups.push(() => w.dispose());
  const open = await eventually(async () => (await incidents(w, "?state=open")).incidents[0], 8000);
  assert.ok(open, "opened by the stored alarm after the restart");
  assert.equal(open.cause, "offline");
});
