// `node scripts/check-modules.mjs`: dependencies between livehook's Rust modules point one way.
// Reads every .rs file of the worker (src/) and the core (crates/livehook-core/src/), resolves
// the `crate::…`, `super::…` and `livehook_core::…` paths each file names (outside its tests),
// and fails if
//   - two modules use each other, directly or through others (a cycle), or
//   - a room of the shell reaches one it must not (platform → http/objects, objects → http), or
//   - a room of the core does: the two objects' logic (hub, stream) never uses the other's (they
//     talk through protocol), and the storage trait (store) uses neither them nor protocol.
// Cargo already keeps the core free of `worker`; this keeps its inside and the shell's in order.
import { readFileSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const crates = [
  { name: "livehook", src: path.join(root, "src"), prefix: "crate" },
  { name: "livehook_core", src: path.join(root, "crates/livehook-core/src"), prefix: "crate" },
];

function walk(dir) {
  return readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith(".rs") ? [p] : [];
  });
}

/** `a/b/mod.rs` → `a::b`, `a/b.rs` → `a::b`, `lib.rs` → `` (the crate root). */
function moduleOf(src, file) {
  const rel = path.relative(src, file).replace(/\.rs$/, "").split(path.sep);
  if (rel.at(-1) === "mod" || rel.at(-1) === "lib") rel.pop();
  return rel.join("::");
}

const modules = new Map(); // "crate:path" → Set of "crate:path" it uses
for (const c of crates) {
  const files = walk(c.src);
  const known = new Set(files.map((f) => moduleOf(c.src, f)));
  for (const file of files) {
    const me = moduleOf(c.src, file);
    const key = `${c.name}:${me}`;
    const deps = new Set();
    let text = readFileSync(file, "utf8");
    const tests = text.search(/^#\[cfg\(test\)\]\s*\nmod tests/m);
    if (tests >= 0) text = text.slice(0, tests);
    if (path.basename(file).endsWith("tests.rs") || me.endsWith("::memory")) continue; // test-only
    const code = text.replace(/\/\/.*$/gm, "");
    // Expand `use a::{b, c::{d, e}}` into paths, and catch inline `crate::x::y` paths.
    const paths = [];
    for (const m of code.matchAll(/\buse\s+([^;]+);/g)) paths.push(...expand(m[1].replace(/\s+/g, "")));
    for (const m of code.matchAll(/\b(?:crate|super|livehook_core)(?:::\w+)+/g)) paths.push(m[0]);
    for (const p of paths) {
      const target = resolve(p, me, c, known);
      if (target && target !== key && !key.startsWith(`${target}::`) && target !== `${c.name}:`) deps.add(target);
    }
    modules.set(key, deps);
  }
}

function expand(tree) {
  const brace = tree.indexOf("{");
  if (brace < 0) return [tree.replace(/ as \w+$/, "")];
  const head = tree.slice(0, brace);
  const inner = tree.slice(brace + 1, tree.lastIndexOf("}"));
  const parts = [];
  let depth = 0, start = 0;
  for (let i = 0; i < inner.length; i++) {
    if (inner[i] === "{") depth++;
    else if (inner[i] === "}") depth--;
    else if (inner[i] === "," && depth === 0) { parts.push(inner.slice(start, i)); start = i + 1; }
  }
  parts.push(inner.slice(start));
  return parts.filter(Boolean).flatMap((p) => expand(head + p));
}

/** The longest known module a path names, as `crate:module`. */
function resolve(p, me, c, known) {
  let segs = p.split("::").filter((s) => s && s !== "self");
  let crate = c.name;
  let base = [];
  if (segs[0] === "crate") segs = segs.slice(1);
  else if (segs[0] === "livehook_core") { crate = "livehook_core"; segs = segs.slice(1); }
  else if (segs[0] === "super") {
    base = me.split("::").filter(Boolean);
    // In a `mod.rs`/`lib.rs` module `me` is the directory; otherwise `super` is its parent.
    while (segs[0] === "super") { base.pop(); segs = segs.slice(1); }
  } else return null;
  const all = [...base, ...segs];
  const mods = crate === c.name ? known : new Set([...modules.keys()].filter((k) => k.startsWith("livehook_core:")).map((k) => k.slice(14)));
  for (let n = all.length; n > 0; n--) {
    const m = all.slice(0, n).join("::");
    if (crate !== c.name || mods.has(m)) return `${crate}:${m}`;
  }
  return null;
}

// Cycles (Tarjan's strongly connected components).
let index = 0;
const idx = new Map(), low = new Map(), stack = [], on = new Set(), cycles = [];
function strong(v) {
  idx.set(v, index); low.set(v, index); index++; stack.push(v); on.add(v);
  for (const w of modules.get(v) ?? []) {
    if (!modules.has(w)) continue;
    if (!idx.has(w)) { strong(w); low.set(v, Math.min(low.get(v), low.get(w))); }
    else if (on.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
  }
  if (low.get(v) === idx.get(v)) {
    const comp = [];
    let w;
    do { w = stack.pop(); on.delete(w); comp.push(w); } while (w !== v);
    if (comp.length > 1) cycles.push(comp);
  }
}
for (const v of modules.keys()) if (!idx.has(v)) strong(v);

const rules = [
  ["livehook:platform", ["livehook:http", "livehook:objects"]],
  ["livehook:objects", ["livehook:http"]],
  ["livehook_core:hub", ["livehook_core:stream"]],
  ["livehook_core:stream", ["livehook_core:hub"]],
  ["livehook_core:store", ["livehook_core:protocol", "livehook_core:hub", "livehook_core:stream"]],
];
const broken = [];
for (const [from, deps] of modules) {
  for (const [room, forbidden] of rules) {
    if (from !== room && !from.startsWith(`${room}::`)) continue;
    for (const d of deps) if (forbidden.some((f) => d === f || d.startsWith(`${f}::`))) broken.push(`${from} uses ${d}`);
  }
}

const edges = [...modules.values()].reduce((n, s) => n + s.size, 0);
if (cycles.length || broken.length) {
  for (const c of cycles) console.error(`cycle: ${c.sort().join(" ↔ ")}`);
  for (const b of broken) console.error(`layer: ${b}`);
  process.exit(1);
}
console.log(`modules: ${modules.size} modules, ${edges} dependencies, no cycle, shell and core rooms in order`);
