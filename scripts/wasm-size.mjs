// `npm run size`: what each part of the optimized Wasm costs. twiggy 0.7 cannot read this module
// (it stops at the exception-handling tag the glue needs), so this reads the binary itself: the
// size of every function body in the code section, named from the name section, grouped by the
// crate (and for livehook's own code, the module) it comes from; plus the data segments and the
// rest. Each group's gzip cost is estimated by compressing its function bodies together (gzip -9),
// which is how they compress best inside the whole file.
//
// It builds a copy with names kept (the shipped build strips them): the cargo output through
// livehook-bindgen and the same `wasm-opt -Oz`, with `--debuginfo`. Run `bash scripts/build.sh`
// first (it compiles the Wasm). `--top=N` also lists the N largest functions.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const TOP = Number(process.argv.find((a) => a.startsWith("--top="))?.split("=")[1] ?? 0);
const tmp = mkdtempSync(path.join(tmpdir(), "livehook-size-"));
try {
  execFileSync(path.join(root, "target/bindgen/release/livehook-bindgen"), [path.join(root, "target/wasm32-unknown-unknown/release/livehook.wasm"), tmp]);
  const features = ["mutable-globals", "sign-ext", "nontrapping-float-to-int", "bulk-memory", "multivalue", "reference-types", "exception-handling"];
  execFileSync(path.join(root, "node_modules/.bin/wasm-opt"), [path.join(tmp, "index_bg.wasm"), "-o", path.join(tmp, "named.wasm"), "-Oz", ...features.map((f) => `--enable-${f}`), "--debuginfo", "--strip-producers"]);
  report(readFileSync(path.join(tmp, "named.wasm")), readFileSync(path.join(root, "build/index_bg.wasm")));
} finally {
  rmSync(tmp, { recursive: true, force: true });
}

function report(wasm, shipped) {
  const { bodies, names, sections, imports } = parse(wasm);
  const groups = new Map();
  const add = (group, bytes) => {
    const g = groups.get(group) ?? { raw: 0, parts: [] };
    g.raw += bytes.length;
    g.parts.push(bytes);
    groups.set(group, g);
  };
  const fns = [];
  bodies.forEach((bytes, i) => {
    const name = names.get(imports + i) ?? `func ${imports + i}`;
    add(groupOf(name), bytes);
    fns.push([bytes.length, name]);
  });
  for (const [id, bytes] of sections) if (id !== 10 && id !== 0) add(id === 11 ? "(data: strings, tables, constants)" : "(other sections: types, imports, exports, tables)", bytes);
  const shippedGzip = gzipSync(shipped, { level: 9 }).length;
  const rows = [...groups].map(([g, { raw, parts }]) => [g, raw, gzipSync(Buffer.concat(parts), { level: 9 }).length]).sort((a, b) => b[2] - a[2]);
  const sumGzip = rows.reduce((a, r) => a + r[2], 0);
  console.log(`shipped build/index_bg.wasm: ${shipped.length} B raw, ${shippedGzip} B gzip -9`);
  console.log(`(the copy with names: ${wasm.length} B; groups below add up to ${sumGzip} B gzip compressed apart, vs ${shippedGzip} together)\n`);
  console.log("| part | raw bytes | gzip bytes (alone) | share of gzip |");
  console.log("|---|---:|---:|---:|");
  for (const [g, raw, gz] of rows) console.log(`| ${g} | ${raw} | ${gz} | ${((100 * gz) / sumGzip).toFixed(1)} % |`);
  if (TOP) {
    console.log(`\n| largest functions | raw bytes |\n|---|---:|`);
    for (const [n, name] of fns.sort((a, b) => b[0] - a[0]).slice(0, TOP)) console.log(`| \`${name.slice(0, 110)}\` | ${n} |`);
  }
}

/** The crate a Rust symbol comes from; livehook's own code by module. */
function groupOf(name) {
  const n = name.replace(/^<+/, "").replace(/^&(mut )?/, "");
  let m = n.match(/^(livehook(?:_core)?)::([a-z_]+)(?:::([a-z_]+))?/);
  if (m) return m[1] === "livehook_core" ? `livehook_core::${m[2]}${m[2] === "ingest" && m[3] ? `::${m[3]}` : ""}` : `livehook (shell)::${m[2]}`;
  m = n.match(/^([a-z_][a-z0-9_]*)(?:\[[0-9a-f]+\])?::/);
  if (m) return m[1] === "serde_core" ? "serde" : m[1];
  if (/^(wasm-bindgen|__wbg|__wbindgen|__externref|__wbg_)/.test(n) || /externref shim|closure/.test(n)) return "wasm-bindgen glue";
  return "(unnamed)";
}

/** The code section's function bodies, the function names, other sections' sizes. */
function parse(buf) {
  let p = 8;
  const u32 = () => {
    let r = 0, s = 0, b;
    do { b = buf[p++]; r |= (b & 0x7f) << s; s += 7; } while (b & 0x80);
    return r >>> 0;
  };
  const str = () => { const n = u32(); const s = buf.toString("utf8", p, p + n); p += n; return s; };
  const bodies = [];
  const names = new Map();
  const sections = [];
  let imports = 0;
  while (p < buf.length) {
    const id = buf[p++];
    const size = u32();
    const start = p;
    const end = p + size;
    if (id === 2) {
      const n = u32();
      for (let i = 0; i < n; i++) {
        str(); str();
        const kind = buf[p++];
        if (kind === 0) { imports++; u32(); }
        else if (kind === 1) { p++; const f = u32(); u32(); if (f & 1) u32(); }
        else if (kind === 2) { const f = u32(); u32(); if (f & 1) u32(); }
        else if (kind === 3) { p += 2; }
        else if (kind === 4) { p++; u32(); }
      }
    } else if (id === 10) {
      const n = u32();
      for (let i = 0; i < n; i++) { const len = u32(); bodies.push(buf.subarray(p, p + len)); p += len; }
    } else if (id === 0) {
      const name = str();
      if (name === "name") {
        while (p < end) {
          const sub = buf[p++];
          const len = u32();
          const subEnd = p + len;
          if (sub === 1) { const n = u32(); for (let i = 0; i < n; i++) { const idx = u32(); names.set(idx, str()); } }
          p = subEnd;
        }
      }
    }
    sections.push([id, buf.subarray(start, end)]);
    p = end;
  }
  return { bodies, names, sections, imports };
}
