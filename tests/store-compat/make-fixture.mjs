// Writes the persisted-store fixture that tests/stored-formats.test.mjs opens with the current
// build: a store (Durable Objects' SQLite files and KV) written by an earlier build, and every
// read-back answer that build gave, so the spec can check the current build gives the same.
//
//   node tests/store-compat/make-fixture.mjs <build dir of the earlier build> <out dir>
//
// The fixture in tests/fixtures/store-d62d7b9/ was made with the build of commit d62d7b9 (the
// last before issue 19's refactor): `git worktree add /tmp/old d62d7b9 && cd /tmp/old &&
// npm ci && bash scripts/build.sh`, then this script with `/tmp/old/build`.
//
// What it stores: every provider's streams (records with state, name, recording, warning,
// latest recording, parent ids; applied, stale, duplicate and ignored events in their histories),
// alerts with a delivered and a dead delivery, subscribers of every format (one rotated), and KV
// records with their metadata. It waits for every alarm and delivery to finish first, so the
// store holds nothing due, then reads everything back with the same build restarted on the
// store. The SQLite files are checkpointed and vacuumed afterwards (python3's sqlite3:
// `PRAGMA journal_mode=DELETE; VACUUM`) so the fixture holds no WAL.
import { cpSync, mkdirSync, rmSync, writeFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  startWorker, send, cloudflare, fastpix, gcore, cfStream, ivs, mux, livepeer, fixture, fpEvent,
  cfErrored, cfDisconnected, eventually, sleep, FAST_ALERTS,
} from "../helpers.mjs";
import { startReceiver } from "../receiver.mjs";
import { readAll } from "./read-all.mjs";

const [buildDir, outDir] = process.argv.slice(2);
if (!buildDir || !outDir) {
  console.error("usage: node tests/store-compat/make-fixture.mjs <build dir> <out dir>");
  process.exit(2);
}

const persist = mkdtempSync(path.join(tmpdir(), "livehook-store-"));
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "../..");
const w = await startWorker({ build: path.relative(root, path.resolve(buildDir)), persist, vars: FAST_ALERTS });
const ok = await startReceiver({ respond: () => 200 });
const down = await startReceiver({ respond: () => 500 });
try {
  const must = async (request, what) => {
    const r = await send(w, request);
    if (r.status !== 200) throw new Error(`${what}: ${r.status} ${r.text}`);
    return r;
  };
  const sub = async (body) => {
    const r = await w.api("/subscriptions", { method: "POST", body });
    if (r.status !== 201) throw new Error(`subscriber: ${r.status} ${r.text}`);
    return r.body;
  };
  const hook = await sub({ url: `${ok.url}/hook`, filter: { providers: ["cloudflare", "fastpix"] } });
  await sub({ url: `${down.url}/dead` });
  await sub({ url: `${ok.url}/slack`, format: "slack" });
  const rotated = await w.api(`/subscriptions/${hook.id}/rotate`, { method: "POST" });
  if (rotated.status !== 200) throw new Error(`rotate: ${rotated.text}`);

  // Cloudflare: connected, errored (an alert), a duplicate, a stale event, disconnected.
  const input = "5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a";
  await must(cloudflare(fixture("cloudflare", "connected.json")), "cf connected");
  await must(cloudflare(cfErrored({ input, at: "2026-12-01T10:00:00Z", code: "ERR_GOP_OUT_OF_RANGE" })), "cf errored");
  await must(cloudflare(cfErrored({ input, at: "2026-12-01T10:00:00Z", code: "ERR_GOP_OUT_OF_RANGE" })), "cf duplicate");
  await must(cloudflare(cfDisconnected({ input, at: "2026-12-01T10:05:00Z" })), "cf disconnected");
  await must(cloudflare(cfErrored({ input, at: "2026-12-01T09:00:00Z", code: "ERR_STORAGE_QUOTA_EXHAUSTED" })), "cf stale errored");
  await must(cloudflare(fixture("cloudflare", "other-alert-type.json")), "cf other type");
  // FastPix: a live stream through its lifecycle, and a simulcast target.
  for (const [type, second] of [["connected", 1], ["active", 2], ["idle", 3], ["active", 4]]) {
    await must(fastpix(fpEvent("fpx-store-1", type, second)), `fastpix ${type}`);
  }
  for (const name of ["simulcast-target-starting.json", "simulcast-target-broadcasting.json"]) {
    await must(fastpix(fixture("fastpix", name)), name);
  }
  // Gcore: a stream, a video, a broadcast.
  for (const name of ["stream-started.json", "stream-recording-started.json", "video-processed.json", "broadcast-live.json"]) {
    await must(gcore(fixture("gcore", name)), name);
  }
  // Cloudflare Stream videos, a live input's recording.
  for (const name of ["video-ready.json", "live-recording-ready.json", "video-error.json"]) {
    await must(cfStream(fixture("cloudflare-stream", name)), name);
  }
  // IVS: start, a health warning, end.
  for (const name of ["stream-start.json", "starvation-start.json", "recording-start.json", "stream-end.json"]) {
    await must(ivs(fixture("ivs", name)), name);
  }
  // Mux: a live stream with a warning, a simulcast target that errors (an alert). Livepeer: a
  // stream, its recording, a multistream target that errors (an alert).
  for (const name of ["live-stream-connected.json", "live-stream-active.json", "live-stream-warning.json", "simulcast-target-starting.json", "simulcast-target-errored.json"]) {
    await must(mux(fixture("mux", name)), `mux ${name}`);
  }
  for (const name of ["stream-started.json", "recording-started.json", "recording-ready.json", "multistream-connected.json", "multistream-error.json"]) {
    await must(livepeer(fixture("livepeer", name)), `livepeer ${name}`);
  }

  // Every delivery ends: delivered, or dead after the short schedule.
  const settled = await eventually(async () => {
    const page = (await w.api("/alerts?delivery=pending")).body;
    return page.alerts?.length === 0;
  }, 20000);
  if (!settled) throw new Error("deliveries did not settle");
  await sleep(2500); // the stream objects' KV alarms
  await w.dispose();
  // The answers the same build gives over the stored state alone (an object keeps some of its
  // state in memory until its next write, e.g. a confirmed KV write).
  const again = await startWorker({ build: path.relative(root, path.resolve(buildDir)), persist, vars: FAST_ALERTS });
  const answers = await readAll(again);
  await again.dispose();
  mkdirSync(outDir, { recursive: true });
  writeFileSync(path.join(outDir, "expected.json"), JSON.stringify(answers, null, 1) + "\n");
  rmSync(path.join(outDir, "store"), { recursive: true, force: true });
  cpSync(persist, path.join(outDir, "store"), { recursive: true });
  console.log(`fixture written to ${outDir}: ${Object.keys(answers).length} answers`);
} finally {
  await ok.close();
  await down.close();
  rmSync(persist, { recursive: true, force: true });
}
