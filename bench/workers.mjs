// The four workers `npm run bench` compares, as Miniflare options (each under workerd, local KV,
// SQLite-backed Durable Objects where it has them), with the bench's secrets (bench/requests.mjs):
//   livehook         the real build (build/index.js + build/index_bg.wasm, or BENCH_BUILD_DIR)
//   same-guarantees  "JS, same guarantees": livehook's design in JavaScript (bench/same-guarantees/)
//   floor            "platform floor": worker → the stream's Durable Object (JS RPC) → one storage
//                    put → one KV put (bench/floor/worker.js)
//   naive            "naive JS": parse, verify, one KV put; no ordering, de-duplication or alerts
//                    (bench/baseline/worker.js)
import { readFileSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { SECRETS } from "./requests.mjs";
import { wranglerWorker } from "../scripts/miniflare-options.mjs";

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const buildDir = process.env.BENCH_BUILD_DIR ? path.resolve(process.env.BENCH_BUILD_DIR) : path.join(root, "build");

/** Row names in bench/results.md. */
export const LABELS = {
  livehook: "livehook",
  "same-guarantees": "JS, same guarantees",
  floor: "platform floor",
  naive: "naive JS (what the guarantees cost)",
};

/** Drains a worker's output (livehook logs a line per webhook; an unread pipe stalls workerd). */
export function drain(stdout, stderr) {
  stdout.resume();
  stderr.resume();
}

/**
 * Miniflare options of `side` (one worker, named `side`); `listen` serves it on 127.0.0.1.
 * Every side runs with wrangler.toml's compatibility date, vars and KV namespace, and livehook
 * and the JS design with its Durable Objects (scripts/miniflare-options.mjs), plus the bench's
 * secrets. Left out for all sides alike: the static assets (no webhook is a board file) and the
 * Analytics Engine dataset (Miniflare's is a call into a stand-in worker, not what a data point
 * costs deployed; neither the floor nor the naive side writes one). `configPath` reads another
 * wrangler.toml (tests/wrangler-options.test.mjs).
 */
export function workerOptions(side, { listen = false, configPath } = {}) {
  const declared = wranglerWorker(configPath);
  const { compatibilityDate, compatibilityFlags, kvNamespaces, durableObjects, bindings: vars } = declared.options;
  const common = {
    name: side,
    compatibilityDate,
    compatibilityFlags,
    kvNamespaces,
    bindings: { ...vars, ...SECRETS },
    cf: false,
    handleRuntimeStdio: drain,
    ...(listen ? { host: "127.0.0.1", port: 0 } : {}),
  };
  switch (side) {
    case "livehook":
      return {
        ...common,
        modulesRoot: buildDir,
        modules: [
          { type: "ESModule", path: path.join(buildDir, path.basename(declared.main)) },
          { type: "CompiledWasm", path: path.join(buildDir, "index_bg.wasm") },
        ],
        durableObjects,
      };
    case "same-guarantees":
      // As bench/same-guarantees/README.md says.
      return {
        ...common,
        modules: true,
        scriptPath: path.join(root, "bench/same-guarantees/worker.js"),
        modulesRoot: path.join(root, "bench/same-guarantees"),
        modulesRules: [{ type: "ESModule", include: ["**/*.js"] }],
        durableObjects,
      };
    case "floor":
      return {
        ...common,
        modules: true,
        scriptPath: path.join(root, "bench/floor/worker.js"),
        durableObjects: { STREAMS: { className: "FloorStream", useSQLite: true } },
      };
    case "naive":
      return { ...common, modules: true, scriptPath: path.join(root, "bench/baseline/worker.js") };
    default:
      throw new Error(`unknown side ${side}`);
  }
}

/** The code a side uploads: `[{name, bytes}]`. */
export function sources(side) {
  if (side === "livehook") return ["index_bg.wasm", "index.js"].map((f) => ({ name: f, bytes: readFileSync(path.join(buildDir, f)) }));
  const dir = { "same-guarantees": "bench/same-guarantees", floor: "bench/floor", naive: "bench/baseline" }[side];
  const files = [];
  const walk = (d) => {
    for (const f of readdirSync(d).sort()) {
      const p = path.join(d, f);
      if (statSync(p).isDirectory()) walk(p);
      else if (f.endsWith(".js")) files.push({ name: path.relative(path.join(root, dir), p), bytes: readFileSync(p) });
    }
  };
  walk(path.join(root, dir));
  return files;
}
