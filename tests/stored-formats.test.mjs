// A store written by an earlier build reads back the same with this one: the fixture in
// tests/fixtures/store-d62d7b9/ holds the Durable Objects' SQLite files and KV written by the
// build of commit d62d7b9, and every answer that build gave when reading it back
// (tests/store-compat/make-fixture.mjs made both). This build opens a copy of that store and must
// give the same answers, byte for byte once parsed; then the old objects keep working.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { cpSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startWorker, send, cloudflare, cfDisconnected } from "./helpers.mjs";
import { readAll } from "./store-compat/read-all.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const fixtureDir = path.join(here, "fixtures/store-d62d7b9");
const expected = JSON.parse(readFileSync(path.join(fixtureDir, "expected.json"), "utf8"));

const persist = mkdtempSync(path.join(tmpdir(), "livehook-store-"));
cpSync(path.join(fixtureDir, "store"), persist, { recursive: true });
const w = await startWorker({ persist });
after(async () => {
  await w.dispose();
  rmSync(persist, { recursive: true, force: true });
});

test("every answer over a store written by the earlier build is the same", async () => {
  const answers = await readAll(w);
  assert.deepEqual(Object.keys(answers).sort(), Object.keys(expected).sort());
  for (const [p, want] of Object.entries(expected)) {
    assert.deepEqual(answers[p], want, p);
  }
  assert.ok(Object.keys(expected).length >= 58, "the fixture covers every stream, alert and subscriber it was made with");
});

test("a stream stored by the earlier build takes a new event on top of its history", async () => {
  const input = "5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a";
  const before = expected[`/streams/cloudflare/${input}/events?kind=live_input&limit=100`].body.events;
  const r = await send(w, cloudflare(cfDisconnected({ input, at: "2026-12-01T11:00:00Z" })));
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.outcome, "applied");
  const events = (await w.api(`/streams/cloudflare/${input}/events?limit=100`)).body.events;
  assert.equal(events.length, before.length + 1);
  assert.deepEqual(events.slice(1), before, "the old entries, in order, under the new one");
  // A redelivery of an event the earlier build stored is still a duplicate.
  const again = await send(w, cloudflare(cfDisconnected({ input, at: "2026-12-01T10:05:00Z" })));
  assert.equal(again.body.outcome, "duplicate");
});
