// Real delivery: out of order, duplicates, and a shuffled burst for one stream, against livehook.
// The specs live in tests/specs/ordering.mjs (the JavaScript worker with livehook's design runs
// them too: tests/same-guarantees.test.mjs).
import { startWorker } from "./helpers.mjs";
import { orderingSpecs } from "./specs/ordering.mjs";

orderingSpecs(() => startWorker());
