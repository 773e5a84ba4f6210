// Where a Chromium is, for the board's browser tests (tests/board.test.mjs) and its benchmark
// (bench/board.mjs), both driven by playwright-core. Looked for, in order: CHROMIUM_PATH, the
// system's (`chromium`, `chromium-browser`, `google-chrome` on the PATH), then Playwright's
// browser cache (PLAYWRIGHT_BROWSERS_PATH, else ~/.cache/ms-playwright). Nothing here installs
// anything: scripts/chromium.sh does, on Debian as root, after saying so.
//
//   node scripts/chromium.mjs        prints the path found; exits 1 with how to get one if none
import { accessSync, constants, existsSync, readdirSync } from "node:fs";
import { homedir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const SYSTEM = ["chromium", "chromium-browser", "google-chrome"];

function executable(file) {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(name) {
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    if (dir && executable(path.join(dir, name))) return path.join(dir, name);
  }
  return null;
}

/** Chromium builds in Playwright's cache, newest revision first. */
function playwrightCache() {
  const cache = process.env.PLAYWRIGHT_BROWSERS_PATH || path.join(homedir(), ".cache", "ms-playwright");
  if (!existsSync(cache)) return [];
  return readdirSync(cache)
    .filter((d) => /^chromium-\d+$/.test(d))
    .sort((a, b) => Number(b.split("-")[1]) - Number(a.split("-")[1]))
    .flatMap((d) => ["chrome-linux", "chrome-linux64"].map((sub) => path.join(cache, d, sub, "chrome")));
}

/** The Chromium to use, or null. CHROMIUM_PATH, when set, must name an executable. */
export function findChromium() {
  if (process.env.CHROMIUM_PATH) {
    if (!executable(process.env.CHROMIUM_PATH)) throw new Error(`CHROMIUM_PATH=${process.env.CHROMIUM_PATH} is not an executable file`);
    return process.env.CHROMIUM_PATH;
  }
  for (const name of SYSTEM) {
    const found = onPath(name);
    if (found) return found;
  }
  return playwrightCache().find(executable) ?? null;
}

/** What to run to get one here: Debian's package (root or sudo), else Playwright's download. */
export function installHint() {
  const debian = existsSync("/etc/debian_version") && onPath("apt-get");
  const sudo = process.getuid?.() === 0 ? "" : "sudo ";
  const get = debian
    ? `${sudo}apt-get update && ${sudo}apt-get install -y chromium`
    : "npx playwright-core install chromium";
  return `no Chromium found (CHROMIUM_PATH, ${SYSTEM.join(", ")} on the PATH, Playwright's cache); get one with: ${get}  (or set CHROMIUM_PATH to a Chrome or Chromium)`;
}

/** The Chromium to use; throws with the command that gets one when there is none. */
export function chromiumPath() {
  const found = findChromium();
  if (!found) throw new Error(installHint());
  return found;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    console.log(chromiumPath());
  } catch (e) {
    console.error(`chromium: ${e.message}`);
    process.exit(1);
  }
}
