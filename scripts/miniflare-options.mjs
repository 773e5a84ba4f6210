// The worker that wrangler.toml declares, as Miniflare options, for the miniflare specs
// (tests/helpers.mjs) and the benchmark (bench/workers.mjs): read by wrangler's own
// `unstable_readConfig` and turned into options by `unstable_getMiniflareWorkerOptions` (the
// pinned wrangler, the code `wrangler dev` runs), so the compatibility date and flags, the vars,
// the KV namespaces, Durable Objects (SQLite-backed as its migrations say), Analytics Engine
// datasets and the static assets (with board/_headers) are wrangler.toml's and cannot drift.
// tests/wrangler-options.test.mjs checks that they follow a changed copy of the file.
//
// Only the vars come from wrangler.toml: wrangler also reads the developer's .dev.vars (what
// `npm run dev` uses), which the specs and the benchmark never take; they bring their own
// secrets as bindings.
import path from "node:path";
import { fileURLToPath } from "node:url";
import { unstable_getMiniflareWorkerOptions, unstable_readConfig } from "wrangler";

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const WRANGLER_TOML = path.join(root, "wrangler.toml");

/**
 * `{ name, main, options }`: the worker's name and entry module (absolute) and its Miniflare
 * options (`compatibilityDate`, `compatibilityFlags`, `bindings` (wrangler.toml's vars only),
 * `kvNamespaces`, `durableObjects`, `analyticsEngineDatasets`, `assets`, …). The caller adds the
 * modules, secrets and whatever else it runs with.
 */
export function wranglerWorker(configPath = WRANGLER_TOML) {
  // Reading the config also reads .dev.vars and says so ("Using secrets defined in …"): quiet,
  // as those values are dropped below.
  const level = process.env.WRANGLER_LOG;
  process.env.WRANGLER_LOG = "warn";
  let config, derived;
  try {
    config = unstable_readConfig({ config: configPath });
    derived = unstable_getMiniflareWorkerOptions(config);
  } finally {
    if (level === undefined) delete process.env.WRANGLER_LOG;
    else process.env.WRANGLER_LOG = level;
  }
  const options = { ...derived.workerOptions, bindings: { ...config.vars } };
  return { name: config.name, main: derived.main, options };
}
