// The JavaScript worker with livehook's design ("JS, same guarantees", bench/same-guarantees/,
// the competitor of `npm run bench`) against the same specs as livehook: ordering and
// de-duplication (tests/specs/ordering.mjs, which tests/ordering.test.mjs runs against livehook)
// and the delivery specs of tests/webhooks.test.mjs and tests/providers.test.mjs that apply to it
// (tests/specs/delivery.mjs), each group on its own worker, in the order its file runs them.
// Every answer is checked against board/openapi.json, as for livehook.
import { describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { startWorker } from "./helpers.mjs";
import { orderingSpecs } from "./specs/ordering.mjs";
import { SPECS, spec } from "./specs/delivery.mjs";

const start = () => startWorker({ design: "same-guarantees" });

describe("ordering (tests/specs/ordering.mjs)", () => orderingSpecs(start));

const GROUPS = {
  "tests/webhooks.test.mjs": /^(cloudflare seed|every gcore|a gcore)/,
  "tests/providers.test.mjs": /^(ivs|cloudflare-stream|mux|livepeer):/,
};
const names = Object.keys(SPECS);
assert.equal(names.filter((n) => Object.values(GROUPS).some((g) => g.test(n))).length, names.length, "every delivery spec runs here");

for (const [file, group] of Object.entries(GROUPS)) {
  describe(`delivery specs of ${file} (tests/specs/delivery.mjs)`, () => {
    let w;
    before(async () => { w = await start(); });
    after(async () => { await w.dispose(); });
    for (const name of names.filter((n) => group.test(n))) spec(name, () => w);
  });
}
