// `StreamStatus`: one Durable Object per stream (named `{provider}:{kind}:{id}`), the source of
// truth for that stream's ordering and de-duplication, as livehook's stream object is.
//
// The ledger lives in memory while the object does and is read from storage once per instance.
// An event costs one storage write (the ledger with its outbox and KV write slot, and a history
// entry, together) and at most one KV write a second (a burst leaves the newest record to the
// alarm). Alerts are handed to the hub after that write, with a bounded wait; whatever the hub
// did not confirm stays in the outbox for the alarm, so none is lost. An applied change is
// pushed to the hub's live feed after the answer.
import { DurableObject } from "cloudflare:workers";
import { alertIdOf, kvKey } from "./event.js";
import { HISTORY_COUNT_KEY, HISTORY_PREFIX, entryOf, ignoredEntry, newestKeys, ringKey } from "./history.js";
import { log } from "./http.js";
import {
  alertHandOffFailed, alertHandedOff, apply, beginKvWrite, kvDirty, kvFailed, kvWritten, mayAlert,
  newLedger, nextAlarmMs, outboxDue,
} from "./ordering.js";
import { hub } from "./hub.js";

const LEDGER_KEY = "state";
/** Longest wait for the hub to confirm a hand-off (or take a live-feed push). */
const HAND_OFF_TIMEOUT_MS = 5000;
const NOTIFY_STATES_KEY = "meta:notify-states";
const NOTIFY_STATES_TTL_MS = 30_000;

/**
 * As livehook's stream objects (livehook_core::live): an applied change goes to the hub's live
 * feed only while someone watches. The hub answers each push with how many viewers it reached;
 * after "nobody", this isolate's objects stop pushing for LIVE_RECHECK_MS, then ask again.
 */
const LIVE_RECHECK_MS = 1000;
let nobodySinceMs; // when the hub last said nobody watches (undefined: someone did, or never asked)
const shouldPush = (now) => nobodySinceMs === undefined || now - nobodySinceMs >= LIVE_RECHECK_MS || now < nobodySinceMs;

/** `promise`, or a rejection once `ms` pass. */
function within(ms, promise, what) {
  let timer;
  const timeout = new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} timed out`)), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

// The non-error states some subscriber wants (written to KV by the hub), read once per 30 s per
// isolate and shared by every stream object in it. Errors always notify.
let notifyCache; // {at, states}

async function notifyStates(env, state) {
  if (state === "errored") return [];
  const now = Date.now();
  if (notifyCache && now - notifyCache.at < NOTIFY_STATES_TTL_MS) return notifyCache.states;
  let states = [];
  try {
    states = (await env.STREAM_STATUS.get(NOTIFY_STATES_KEY, "json")) ?? [];
  } catch (e) {
    log.error("notify states unreadable", { error: String(e) });
  }
  notifyCache = { at: now, states };
  return states;
}

export class StreamStatus extends DurableObject {
  /** The ledger, once read from storage. */
  #ledger;
  /** Entries the stream's history ever received (read with the ledger). */
  #history;
  /** The in-memory ledger has changes storage does not have yet (only KV confirmations). */
  #unsaved = false;

  async #load() {
    if (this.#ledger) return this.#ledger;
    const stored = await this.ctx.storage.get([LEDGER_KEY, HISTORY_COUNT_KEY]);
    // Another request may have loaded them while this one waited.
    if (!this.#ledger) {
      this.#ledger = stored.get(LEDGER_KEY) ?? newLedger();
      this.#history = stored.get(HISTORY_COUNT_KEY) ?? 0;
    }
    return this.#ledger;
  }

  /** The next history entry's key and the count to write with it. */
  #nextEntry(entry) {
    const key = ringKey(this.#history);
    this.#history += 1;
    return { [key]: entry, [HISTORY_COUNT_KEY]: this.#history };
  }

  /** Writes the ledger, and `entries` with it (one atomic write). */
  async #save(entries = {}) {
    this.#unsaved = false;
    try {
      await this.ctx.storage.put({ [LEDGER_KEY]: this.#ledger, ...entries });
    } catch (e) {
      // Storage did not take the change: forget the in-memory copies, so a retried delivery is
      // applied again from what storage holds, not answered as a duplicate.
      this.#ledger = undefined;
      throw e;
    }
  }

  /** Applies one event: `{outcome, alert_queued}`. */
  async ingest(event, receivedAtMs) {
    const notify = await notifyStates(this.env, event.state);
    const alertId = mayAlert(event, notify) ? await alertIdOf(event.eventId) : undefined;
    const l = await this.#load();
    const now = Date.now();
    // Apply and reserve the KV write slot in one change, with no await in between, so concurrent
    // deliveries never interleave within a change.
    const applied = apply(l, event, receivedAtMs, notify, alertId);
    const stored = applied.outcome === "applied" || applied.outcome === "stale";
    const kvWrite = stored ? beginKvWrite(l, now) : undefined;
    const reply = { outcome: applied.outcome, alert_queued: applied.alert_queued };
    if (applied.outcome === "deferred") return reply;
    const entry = entryOf(event, receivedAtMs, applied.outcome, l.record?.state ?? null);
    if (!stored) {
      // A duplicate changes nothing: only the history learns of it (best effort).
      await this.#recordHistory(entry);
      return reply;
    }
    const change = applied.changed && l.record ? { version: l.version, record: l.record } : undefined;
    await this.#save(this.#nextEntry(entry));
    // The event (and any alert) is durable now; what follows may fail and is retried.
    if (change) this.#pushToLiveFeed(change);
    await this.#finish(now, kvWrite);
    return reply;
  }

  /** The record, strongly consistent; `null` if the stream never received an event. */
  async record() {
    return (await this.#load()).record;
  }

  /** `GET …/diagnostics`: the ledger, and whether KV and the hub have caught up; `null` if unknown. */
  async inspect() {
    const l = await this.#load();
    if (!l.record) return null;
    return {
      stream: `${l.record.provider}:${l.record.kind}:${l.record.stream_id}`,
      kv_in_sync: !kvDirty(l),
      alerts_waiting: l.outbox.length,
      history_entries: (await this.ctx.storage.list({ prefix: HISTORY_PREFIX })).size,
      state: l,
    };
  }

  /** The newest `limit` history entries; `null` if the stream is unknown. */
  async history(limit) {
    const l = await this.#load();
    if (this.#history === 0 && !l.record) return null;
    const stored = await this.ctx.storage.list({ prefix: HISTORY_PREFIX });
    return newestKeys(this.#history, Math.max(limit, 1)).map((k) => stored.get(k)).filter(Boolean);
  }

  /** A message for this stream of a type livehook does not track: history only. */
  async noteIgnored(eventType, receivedAtMs) {
    const l = await this.#load();
    await this.#recordHistory(ignoredEntry(eventType, receivedAtMs, l.record?.state ?? null));
  }

  async alarm() {
    const l = await this.#load();
    const now = Date.now();
    const kvWrite = beginKvWrite(l, now);
    if (kvWrite) this.#unsaved = true; // the reserved slot
    await this.#finish(now, kvWrite);
    if (this.#unsaved) await this.#save();
  }

  /** Performs a reserved KV write, hands the outbox over if due, and sets the alarm for what is left. */
  async #finish(now, kvWrite) {
    const l = this.#ledger;
    if (kvWrite) {
      const { version, record } = kvWrite;
      try {
        // Metadata lets a listing filter a page without reading the records.
        await this.env.STREAM_STATUS.put(kvKey(record), JSON.stringify(record), { metadata: { state: record.state, kind: record.kind } });
        kvWritten(l, version);
      } catch (e) {
        kvFailed(l);
        log.error("kv write failed", { error: String(e) });
      }
      this.#unsaved = true;
    }
    if (outboxDue(l, now)) {
      let failed = false;
      for (const alert of [...l.outbox]) {
        try {
          await within(HAND_OFF_TIMEOUT_MS, hub(this.env).accept(alert), "alert hub");
          alertHandedOff(l, alert.id);
        } catch (e) {
          failed = true;
          log.error("alert hand-off failed", { alert: alert.id, error: String(e) });
        }
      }
      if (failed) alertHandOffFailed(l, now);
      // Handed-off alerts leave the outbox durably (a second hand-off would be harmless).
      await this.#save();
    }
    const at = nextAlarmMs(l, now);
    if (at !== undefined) {
      const current = await this.ctx.storage.getAlarm();
      if (current === null || current > at || current < now) await this.ctx.storage.setAlarm(at);
    }
  }

  /** Tells the hub's live feed of an applied change, after the answer (viewers keep the highest version). */
  #pushToLiveFeed(change) {
    const now = Date.now();
    if (!shouldPush(now)) return;
    this.ctx.waitUntil(
      within(HAND_OFF_TIMEOUT_MS, hub(this.env).streamChanged(change), "live feed push").then(
        ({ viewers }) => (nobodySinceMs = viewers === 0 ? now : undefined),
        (e) => log.error("live feed push failed", { error: String(e) }),
      ),
    );
  }

  /** Records a history entry on its own (nothing else changed); a failure does not fail the webhook. */
  async #recordHistory(entry) {
    try {
      await this.ctx.storage.put(this.#nextEntry(entry));
    } catch (e) {
      this.#ledger = undefined; // read again, with the count storage holds
      log.error("history not written", { error: String(e) });
    }
  }
}
