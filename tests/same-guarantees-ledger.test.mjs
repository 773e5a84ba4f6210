// The JavaScript same-guarantees worker's ledger (bench/same-guarantees/ordering.js) against the
// cases of livehook's own ordering unit tests (crates/livehook-core/src/ordering.rs), in Node:
// the decisions are pure, so this needs no runtime. The end-to-end specs are in
// tests/same-guarantees.test.mjs.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as o from "../bench/same-guarantees/ordering.js";

const ev = (id, at, state, more = {}) => ({ provider: "fastpix", kind: "live_input", id: "s1", key: "fastpix:live_input:s1", state, occurredAt: BigInt(at), timeSource: "provider", eventType: `t.${state}`, eventId: id, error: state === "errored" ? { code: "ERR_X", message: "m", hint: "h" } : undefined, ...more });
const keeps = (id, at, more) => ev(id, at, "live", { keepsState: true, ...more });

test("an older event never overwrites a newer status", () => {
  let s = o.newLedger();
  assert.equal(o.apply(s, ev("b", 20, "live"), 1, []).outcome, "applied");
  assert.equal(o.apply(s, ev("a", 10, "connected"), 2, []).outcome, "stale");
  assert.equal(s.record.state, "live"); assert.equal(s.version, 1);
});

test("every permutation of a burst ends at the newest event", () => {
  const events = [1,2,3,4,5].map((i) => ev(String(i), i, ["created","connected","live","disconnected","idle"][i-1]));
  const perms = (a) => a.length <= 1 ? [a] : a.flatMap((x, i) => perms([...a.slice(0,i), ...a.slice(i+1)]).map((p) => [x, ...p]));
  for (const p of perms([0,1,2,3,4])) { const l = o.newLedger(); for (const i of [...p, ...p.slice().reverse()]) o.apply(l, events[i], 0, [], "alr_x"); assert.equal(l.record.state, "idle"); assert.equal(l.record.last_event, "t.idle"); }
});

test("receipt-timed events follow arrival and drop only an immediate repeat", () => {
  let s = o.newLedger();
  const g = (id, state) => ({ ...ev(id, 0, state), timeSource: "receipt" });
  assert.deepEqual([["live","live"],["live","live"],["off","disconnected"],["live","live"]].map(([id, st]) => o.apply(s, g(id, st), 0, []).outcome), ["applied","duplicate","applied","applied"]);
});

test("errored events queue one alert even when stale", () => {
  let s = o.newLedger(); o.apply(s, ev("new", 20, "live"), 0, []);
  assert.deepEqual(o.apply(s, ev("old-err", 10, "errored"), 5, [], "alr_1"), { outcome: "stale", alert_queued: true, changed: false });
  assert.equal(s.outbox.length, 1);
  assert.deepEqual(o.apply(s, ev("old-err", 10, "errored"), 6, [], "alr_1"), { outcome: "duplicate", alert_queued: false, changed: false });
});

test("the outbox empties only on confirmed hand-off", () => {
  let s = o.newLedger(); o.apply(s, ev("e", 10, "errored"), 0, [], "alr_e"); o.kvWritten(s, s.version);
  assert.ok(o.outboxDue(s, 0)); o.alertHandOffFailed(s, 1000); assert.ok(!o.outboxDue(s, 1500)); assert.ok(o.outboxDue(s, 2000));
  assert.equal(o.nextAlarmMs(s, 1500), 2000); o.alertHandOffFailed(s, 2000); assert.equal(s.outbox_retry_ms, 4000);
  o.alertHandedOff(s, "alr_e"); assert.equal(s.outbox.length, 0); assert.equal(s.outbox_retry_ms, null);
});

test("a full outbox defers events that would alert and nothing else", () => {
  let s = o.newLedger(); for (let i = 0; i < 100; i++) assert.ok(o.apply(s, ev(`e${i}`, i, "errored"), 0, [], `alr_${i}`).alert_queued);
  const before = structuredClone(s); assert.equal(o.apply(s, ev("over", 1000, "errored"), 0, [], "alr_over").outcome, "deferred"); assert.deepEqual(s, before);
  assert.equal(o.apply(s, ev("live", 1001, "live"), 0, ["live"], "alr_l").outcome, "deferred");
  assert.equal(o.apply(s, ev("live", 1001, "live"), 0, []).outcome, "applied");
  o.alertHandedOff(s, s.outbox[0].id); const r = o.apply(s, ev("over", 1000, "errored"), 0, [], "alr_over"); assert.deepEqual([r.outcome, r.alert_queued], ["stale", true]);
});

test("kv is written at most once a second, ends at the newest, and backs off on failure", () => {
  let s = o.newLedger(); o.apply(s, ev("1", 1, "connected"), 0, []);
  const w1 = o.beginKvWrite(s, 1000); assert.equal(w1.record.state, "connected");
  o.apply(s, ev("2", 2, "live"), 0, []); o.apply(s, ev("3", 3, "disconnected"), 0, []);
  assert.equal(o.beginKvWrite(s, 1500), undefined); o.kvWritten(s, w1.version); assert.ok(o.kvDirty(s)); assert.equal(o.nextAlarmMs(s, 1500), 2000);
  const w3 = o.beginKvWrite(s, 2000); assert.equal(w3.record.state, "disconnected"); o.kvWritten(s, w3.version); assert.ok(!o.kvDirty(s)); assert.equal(o.nextAlarmMs(s, 2000), undefined);
  s = o.newLedger(); o.apply(s, ev("1", 1, "live"), 0, []); o.beginKvWrite(s, 10000); o.kvFailed(s); o.kvFailed(s);
  assert.equal(o.beginKvWrite(s, 11000), undefined); assert.equal(o.nextAlarmMs(s, 11000), 12000); assert.ok(o.beginKvWrite(s, 12000));
});

test("wanted state changes queue a notification once", () => {
  let s = o.newLedger(); const n = ["disconnected"];
  assert.ok(!o.apply(s, ev("1", 1, "live"), 0, n, "a1").alert_queued);
  assert.ok(o.apply(s, ev("2", 2, "disconnected"), 0, n, "a2").alert_queued); assert.equal(s.outbox[0].code, null);
  assert.ok(!o.apply(s, ev("3", 3, "disconnected"), 0, n, "a3").alert_queued);
  o.apply(s, ev("4", 10, "live"), 0, n, "a4"); const st = o.apply(s, ev("5", 5, "disconnected"), 0, n, "a5"); assert.equal(st.outcome, "stale"); assert.ok(!st.alert_queued); assert.equal(s.outbox.length, 1);
});

test("a late state event is not lost behind a newer recording event", () => {
  let s = o.newLedger(); o.apply(s, ev("start", 10, "live"), 0, []);
  assert.equal(o.apply(s, keeps("rec-end", 12, { recording: false, eventType: "recording.end" }), 0, []).outcome, "applied");
  assert.equal(o.apply(s, ev("end", 11, "idle"), 0, []).outcome, "applied");
  assert.deepEqual([s.record.state, s.record.recording, s.record.last_event], ["idle", false, "recording.end"]);
});

test("a stale state event still sets a recording flag no newer event gave", () => {
  let s = o.newLedger(); o.apply(s, ev("active", 20, "live"), 0, []);
  let x = o.apply(s, ev("idle", 5, "idle", { recording: false }), 0, []); assert.deepEqual([x.outcome, x.changed], ["stale", true]);
  assert.deepEqual([s.record.state, s.record.recording, s.record.last_event], ["live", false, "t.live"]);
  x = o.apply(s, ev("idle-older", 4, "idle", { recording: true }), 0, []); assert.deepEqual([x.outcome, x.changed], ["stale", false]);
});

test("an event that keeps the state never rolls it back", () => {
  let s = o.newLedger(); o.apply(s, ev("end", 20, "idle"), 0, []);
  assert.equal(o.apply(s, keeps("rec-start", 15, { recording: true }), 0, []).outcome, "applied");
  assert.deepEqual([s.record.state, s.record.recording, s.record.last_event], ["idle", true, "t.idle"]);
  assert.equal(o.apply(s, keeps("rec-old", 14, { recording: false }), 0, []).outcome, "stale");
  const fresh = o.newLedger(); o.apply(fresh, keeps("rec-start", 15, { recording: true }), 0, []); assert.equal(fresh.record.state, "live");
});

test("warnings are raised, cleared, and end with the state they were raised in", () => {
  const raise = (id, at) => keeps(id, at, { warning: { code: "Starvation Start", message: "m" } });
  const clear = (id, at) => keeps(id, at, { warning: { cleared: true } });
  let s = o.newLedger(); o.apply(s, ev("live", 10, "live"), 0, []);
  let a = o.apply(s, raise("w1", 11), 0, [], "aw1"); assert.deepEqual([a.outcome, a.alert_queued], ["applied", true]);
  assert.ok(s.record.warning); assert.equal(s.record.state, "live"); assert.equal(s.outbox.at(-1).warning, true);
  o.apply(s, clear("w2", 12), 0, []); assert.equal(s.record.warning, undefined);
  a = o.apply(s, raise("w0", 11), 0, [], "aw0"); assert.deepEqual([a.outcome, a.alert_queued], ["stale", true]); assert.equal(s.record.warning, undefined);
  o.apply(s, raise("w3", 13), 0, [], "aw3"); o.apply(s, ev("off", 14, "disconnected"), 0, []); assert.equal(s.record.warning, undefined);
});

test("the seen set is bounded", () => {
  let s = o.newLedger(); for (let i = 0; i < 74; i++) o.apply(s, ev(String(i), i, "live"), 0, []); assert.equal(s.seen.length, 64);
});
