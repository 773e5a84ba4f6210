// What the board specs share: a headless Chromium (scripts/chromium.mjs finds it) with one page
// at 1280×900 that reports, into `problems`, every console error, page error and failed answer
// (a status of 400 or more that `expected` does not allow). The browser closes with `cleanups`.
import { chromium } from "playwright-core";

export async function openBoardPage({ executablePath, cleanups, problems, expected = () => false }) {
  const browser = await chromium.launch({
    executablePath,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  cleanups.push(() => browser.close());
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on("console", (m) => { if (m.type() === "error") problems.push(`console: ${m.text()}`); });
  page.on("pageerror", (e) => problems.push(`page: ${e.message}`));
  page.on("response", (r) => { if (r.status() >= 400 && !expected(r.status())) problems.push(`response: ${r.status()} ${r.url()}`); });
  return { browser, page };
}
