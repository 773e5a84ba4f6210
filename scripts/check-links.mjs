// `node scripts/check-links.mjs`: every relative link in the repository's Markdown files resolves.
// Reads each tracked *.md (git ls-files; node_modules, target and build are never tracked), takes
// every Markdown link `[text](target)`, image `![alt](target)` and HTML `src=`/`href=` in it, and
// checks that a relative target names a file or folder that exists and, for `#anchor`, a heading
// of that Markdown file (GitHub's anchors: lower case, punctuation dropped, spaces to hyphens, a
// repeated heading gets `-1`, `-2`, …). Links with a scheme (https:, mailto:) are not fetched.
// Prints each broken link as `file:line: target (why)` and exits 1 if there is one.
import { readFileSync, existsSync, statSync } from "node:fs";
import { execFileSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** The Markdown files git tracks, plus new ones not ignored. */
function markdownFiles() {
  const out = execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard", "*.md"], {
    cwd: root,
    encoding: "utf8",
  });
  return out.split("\n").filter(Boolean).filter((f) => existsSync(path.join(root, f)));
}

/** Text outside fenced code blocks and inline code spans, line by line (code holds no links). */
function proseLines(text) {
  let fence = null;
  return text.split("\n").map((line) => {
    const m = line.match(/^\s*(```+|~~~+)/);
    if (m) {
      if (fence === null) fence = m[1][0];
      else if (m[1][0] === fence) fence = null;
      return "";
    }
    return fence === null ? line.replace(/`+[^`]*`+/g, "") : "";
  });
}

/** GitHub's anchor for a heading's text. */
function slug(heading) {
  return heading
    .replace(/<[^>]*>/g, "")
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1")
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/\s/g, "-");
}

const anchorCache = new Map();

/** Every anchor a Markdown file defines: its headings' slugs and explicit `id=`/`name=`. */
function anchors(file) {
  if (anchorCache.has(file)) return anchorCache.get(file);
  const found = new Set();
  const seen = new Map();
  let fence = null;
  for (const line of readFileSync(file, "utf8").split("\n")) {
    const f = line.match(/^\s*(```+|~~~+)/);
    if (f) {
      if (fence === null) fence = f[1][0];
      else if (f[1][0] === fence) fence = null;
      continue;
    }
    if (fence !== null) continue;
    const h = line.match(/^#{1,6}\s+(.*?)\s*#*\s*$/);
    if (h) {
      const base = slug(h[1].replace(/`/g, ""));
      const n = seen.get(base) ?? 0;
      seen.set(base, n + 1);
      found.add(n === 0 ? base : `${base}-${n}`);
    }
    for (const m of line.matchAll(/\s(?:id|name)="([^"]+)"/g)) found.add(m[1]);
  }
  anchorCache.set(file, found);
  return found;
}

/** Every link target on a line of prose. */
function targets(line) {
  const out = [];
  for (const m of line.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) out.push(m[1]);
  for (const m of line.matchAll(/\s(?:src|href)="([^"]+)"/g)) out.push(m[1]);
  return out;
}

const broken = [];
const files = markdownFiles();
let checked = 0;
for (const rel of files) {
  const file = path.join(root, rel);
  proseLines(readFileSync(file, "utf8")).forEach((line, i) => {
    for (const target of targets(line)) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:, …
      checked++;
      const [pathPart, anchor] = target.split("#", 2);
      const dest = pathPart === "" ? file : path.resolve(path.dirname(file), decodeURIComponent(pathPart));
      const where = `${rel}:${i + 1}: ${target}`;
      if (!dest.startsWith(root + path.sep) && dest !== root) {
        broken.push(`${where} (outside the repository)`);
        continue;
      }
      if (!existsSync(dest)) {
        broken.push(`${where} (no such file)`);
        continue;
      }
      if (anchor !== undefined) {
        if (!dest.endsWith(".md") || statSync(dest).isDirectory()) {
          broken.push(`${where} (an anchor into a file that is not Markdown)`);
        } else if (!anchors(dest).has(anchor)) {
          broken.push(`${where} (no heading with this anchor in ${path.relative(root, dest)})`);
        }
      }
    }
  });
}

for (const b of broken) console.error(b);
console.log(`check-links: ${checked} relative links in ${files.length} Markdown files, ${broken.length} broken`);
process.exit(broken.length ? 1 : 0);
