// The specs and the benchmark run the worker wrangler.toml declares (scripts/miniflare-options.mjs):
// the compatibility date, vars, KV namespace, Durable Objects, Analytics Engine dataset and
// static assets come from the file, so a change to it reaches them with nothing else to edit.
// Shown on a copy of wrangler.toml with each of those changed: the derived options, the
// benchmark's sides and a worker started by the specs' helper all follow it.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { unstable_readConfig } from "wrangler";
import { WRANGLER_TOML, root, wranglerWorker } from "../scripts/miniflare-options.mjs";
import { workerOptions } from "../bench/workers.mjs";
import { startWorker, send, gcore, fixture, SECRETS } from "./helpers.mjs";

const dir = mkdtempSync(path.join(tmpdir(), "livehook-wrangler-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** The real wrangler.toml with `edit` applied to its text, written to the temp dir; its path. */
function copyOf(edit) {
  const text = readFileSync(WRANGLER_TOML, "utf8")
    // The copy lives elsewhere: its relative paths are made absolute first.
    .replace(/^main = "(.*)"$/m, (_, p) => `main = ${JSON.stringify(path.join(root, p))}`)
    .replace(/^directory = "(.*)"$/m, (_, p) => `directory = ${JSON.stringify(path.join(root, p))}`);
  const changed = edit(text);
  assert.notEqual(changed, text, "the edit changes the copy");
  const file = path.join(dir, `wrangler-${Math.random().toString(36).slice(2)}.toml`);
  writeFileSync(file, changed);
  return file;
}

const replaceLine = (pattern, line) => (text) => {
  assert.match(text, pattern);
  return text.replace(pattern, line);
};

test("the derived options are wrangler.toml's, read by wrangler itself", () => {
  const config = unstable_readConfig({ config: WRANGLER_TOML });
  const { name, main, options } = wranglerWorker();
  assert.equal(name, config.name);
  assert.equal(main, path.join(root, "build/index.js"));
  assert.equal(options.compatibilityDate, config.compatibility_date);
  assert.deepEqual(options.compatibilityFlags, config.compatibility_flags);
  assert.deepEqual(options.bindings, config.vars, "the vars, and nothing from a developer's .dev.vars");
  assert.deepEqual(Object.keys(options.kvNamespaces), config.kv_namespaces.map((k) => k.binding));
  assert.deepEqual(
    Object.entries(options.durableObjects).map(([binding, o]) => [binding, o.className, o.useSQLite]),
    config.durable_objects.bindings.map((b) => [b.name, b.class_name, true]),
  );
  assert.deepEqual(options.analyticsEngineDatasets, Object.fromEntries(config.analytics_engine_datasets.map((d) => [d.binding, { dataset: d.dataset }])));
  assert.equal(options.assets.directory, path.join(root, "board"));
});

test("a changed compatibility date, var, KV namespace, Durable Object or dataset in wrangler.toml reaches the specs and every side of the benchmark", () => {
  // Which of them each side has: the benchmark leaves the dataset out, and only livehook and the
  // JS design have livehook's Durable Objects.
  const withObjects = new Set(["specs", "livehook", "same-guarantees"]);
  const edits = [
    [replaceLine(/^compatibility_date = ".*"$/m, 'compatibility_date = "2026-03-02"'), (o) => assert.equal(o.compatibilityDate, "2026-03-02")],
    [replaceLine(/^GCORE_ALLOWED_CIDRS = ".*"$/m, 'GCORE_ALLOWED_CIDRS = "10.9.8.0/24"'), (o) => assert.equal(o.bindings.GCORE_ALLOWED_CIDRS, "10.9.8.0/24")],
    [(t) => `${t}\n[[kv_namespaces]]\nbinding = "EXTRA_KV"\n`, (o) => assert.ok(o.kvNamespaces.EXTRA_KV, JSON.stringify(o.kvNamespaces))],
    [
      replaceLine(/^bindings = \[$/m, 'bindings = [\n  { name = "EXTRA_DO", class_name = "StreamStatus" },'),
      (o, side) => withObjects.has(side) && assert.equal(o.durableObjects.EXTRA_DO?.className, "StreamStatus"),
    ],
    [
      replaceLine(/^dataset = "livehook_webhooks"$/m, 'dataset = "another_dataset"'),
      (o, side) => side === "specs" && assert.equal(o.analyticsEngineDatasets.WEBHOOK_TRAFFIC.dataset, "another_dataset"),
    ],
  ];
  for (const [edit, check] of edits) {
    const copy = copyOf(edit);
    check(wranglerWorker(copy).options, "specs");
    for (const side of ["livehook", "same-guarantees", "floor", "naive"]) check(workerOptions(side, { configPath: copy }), side);
  }
  // The benchmark keeps its own secrets beside wrangler.toml's vars, and leaves out the assets
  // and the dataset for every side alike.
  const bench = workerOptions("livehook");
  assert.equal(bench.bindings.GCORE_ALLOWED_CIDRS, wranglerWorker().options.bindings.GCORE_ALLOWED_CIDRS);
  assert.equal(bench.assets, undefined);
  assert.equal(bench.analyticsEngineDatasets, undefined);
});

test("a worker started by the specs' helper runs with a changed wrangler.toml: its date, its vars, its assets", async (t) => {
  const board = path.join(dir, "board");
  mkdirSync(board);
  writeFileSync(path.join(board, "index.html"), "<!doctype html><title>from the copy</title>");
  writeFileSync(path.join(board, "_headers"), "/*\n  X-From: the-copy\n");
  const copy = copyOf((text) =>
    text
      .replace(/^compatibility_date = ".*"$/m, 'compatibility_date = "2026-03-02"')
      .replace(/^GCORE_ALLOWED_CIDRS = ".*"$/m, 'GCORE_ALLOWED_CIDRS = "10.9.8.0/24"')
      .replace(/^directory = ".*"$/m, `directory = ${JSON.stringify(board)}`),
  );
  const w = await startWorker({ config: copy });
  t.after(() => w.dispose());
  assert.equal(w.options.compatibilityDate, "2026-03-02");
  assert.equal(w.options.bindings.STATUS_API_TOKEN, SECRETS.STATUS_API_TOKEN, "the spec's secrets on top");
  // Gcore's sender range is the copy's: its old range is refused, the new one accepted.
  const body = fixture("gcore", "video-uploaded.json");
  assert.equal((await send(w, gcore(body, { ip: "92.223.123.10" }))).status, 403);
  assert.equal((await send(w, gcore(body, { ip: "10.9.8.7" }))).status, 200);
  // The static files are the copy's, with the copy's _headers.
  const page = await w.mf.dispatchFetch("http://localhost/");
  assert.equal(page.status, 200);
  assert.equal(page.headers.get("x-from"), "the-copy");
  assert.match(await page.text(), /from the copy/);
});
