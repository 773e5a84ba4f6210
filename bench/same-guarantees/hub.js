// `AlertHub`: the one Durable Object (named `global`) that keeps every alert the stream objects
// hand it, as livehook's hub does: idempotent per alert id (a retried hand-off is stored once),
// an identical error (same stream and code) within ALERT_DEDUPE_SECONDS of the alert that opened
// the incident only bumps that alert's repeat count, the newest 1000 alerts kept, and the
// listing `GET /alerts` reads. Accepting is one storage write before the answer. Applied stream
// changes are broadcast to the live feed's WebSockets (hibernation API); this design serves no
// WebSocket route and delivers to no subscriber, so both fan-outs have no one to reach.
import { DurableObject } from "cloudflare:workers";
import { log } from "./http.js";

export const HUB_NAME = "global";
export const MAX_ALERTS = 1000;
const MAX_REPEAT_IDS = 100;
const DEFAULT_DEDUPE_SECONDS = 300;
const COUNT = "count";
const PRUNE_SLACK = 50;

/** The hub's stub. */
export const hub = (env) => env.ALERT_HUB.get(env.ALERT_HUB.idFromName(HUB_NAME));

// ---- storage keys (as livehook's hub/keys.rs names them) ----
/** `alert:{received ms, 15 digits}:{id}`: a reverse listing is newest first. */
const alertKey = (a) => `alert:${String(a.received_at_ms).padStart(15, "0")}:${a.id}`;
const alertIdKey = (id) => `alert-id:${id}`;
const streamOf = (a) => `${a.provider}:${a.kind}:${a.stream_id}`;
const streamAlertKey = (a, key) => `stream-alert:${streamOf(a)}:${key}`;
/** Errored alerts (and warnings) for the same stream and code are one incident. */
function incidentKey(a) {
  const code = a.warning ? (a.code === null ? undefined : `warning:${a.code}`) : a.state === "errored" ? a.code ?? undefined : undefined;
  return code === undefined ? undefined : `incident:${streamOf(a)}:${code}`;
}

/** The listing's view of a stored record. */
const summarize = (rec) => ({
  ...rec.alert,
  repeat_count: rec.repeat_count,
  previous_repeat_count: rec.previous_repeat_count,
  deliveries: { pending: 0, delivered: 0, dead: 0 },
});

/** `storage.get` of any number of keys (the runtime takes 128 a call). */
async function getMany(storage, keys) {
  const out = new Map();
  for (let i = 0; i < keys.length; i += 128) {
    for (const [k, v] of await storage.get(keys.slice(i, i + 128))) out.set(k, v);
  }
  return out;
}

export class AlertHub extends DurableObject {
  get #dedupeMs() {
    const raw = this.env.ALERT_DEDUPE_SECONDS;
    const secs = raw === undefined || !/^\s*\d+\s*$/.test(raw) ? DEFAULT_DEDUPE_SECONDS : Number(raw);
    return secs * 1000;
  }

  /** Stores an alert (or folds it into an open incident). Idempotent per alert id. */
  async accept(alert) {
    const storage = this.ctx.storage;
    const incident = incidentKey(alert);
    const idKey = alertIdKey(alert.id);
    const found = await storage.get(incident ? [idKey, incident, COUNT] : [idKey, COUNT]);
    if (found.has(idKey)) return { id: alert.id, stored: false };
    let previousRepeatCount = 0;
    const open = incident && found.get(incident);
    if (open) {
      const rec = await storage.get(open.alert_key);
      if (rec) {
        if (Math.abs(alert.received_at_ms - open.opened_ms) < this.#dedupeMs) return this.#foldRepeat(open.alert_key, rec, alert);
        previousRepeatCount = rec.repeat_count;
      }
    }
    const key = alertKey(alert);
    const rec = { alert, repeat_count: 0, previous_repeat_count: previousRepeatCount, repeat_ids: [], deliveries: [] };
    const count = (found.get(COUNT) ?? 0) + 1;
    // One write: the alert, its index entries and the incident.
    const writes = { [key]: rec, [idKey]: key, [streamAlertKey(alert, key)]: 1, [COUNT]: count };
    if (incident) writes[incident] = { alert_key: key, opened_ms: alert.received_at_ms };
    await storage.put(writes);
    if (count > MAX_ALERTS) await this.#prune(count);
    this.#broadcast({ type: "alert", alert: { ...alert, previous_repeat_count: previousRepeatCount }, deliveries: { pending: 0, delivered: 0, dead: 0 } });
    log.info("alert accepted", { alert: alert.id, deliveries: 0 });
    return { id: alert.id, stored: true, deliveries: 0 };
  }

  async #foldRepeat(key, rec, alert) {
    rec.repeat_count += 1;
    rec.last_repeat_at = alert.received_at;
    rec.repeat_ids.push(alert.id);
    const forget = rec.repeat_ids.splice(0, Math.max(rec.repeat_ids.length - MAX_REPEAT_IDS, 0)).map(alertIdKey);
    await this.ctx.storage.put({ [key]: rec, [alertIdKey(alert.id)]: key });
    if (forget.length) await this.ctx.storage.delete(forget);
    this.#broadcast({ type: "alert.repeated", id: rec.alert.id, repeat_count: rec.repeat_count });
    return { id: alert.id, stored: true, repeat_of: rec.alert.id };
  }

  /** Deletes the oldest alerts beyond MAX_ALERTS (none has a delivery pending in this design). */
  async #prune(count) {
    const storage = this.ctx.storage;
    const excess = count - MAX_ALERTS;
    const oldest = await storage.list({ prefix: "alert:", limit: excess + PRUNE_SLACK });
    const doomed = [];
    let removed = 0;
    for (const [key, rec] of oldest) {
      if (removed === excess) break;
      const a = rec.alert;
      doomed.push(alertIdKey(a.id), ...rec.repeat_ids.map(alertIdKey), streamAlertKey(a, key), key);
      const incident = incidentKey(a);
      if (incident && (await storage.get(incident))?.alert_key === key) doomed.push(incident);
      removed += 1;
    }
    for (let i = 0; i < doomed.length; i += 128) await storage.delete(doomed.slice(i, i + 128));
    await storage.put(COUNT, count - removed);
  }

  /** `GET /alerts`: newest first, `limit` of them; one stream's (`provider:kind:id`) if asked. */
  async listAlerts({ limit, delivery, stream }) {
    // No subscribers in this design: no alert has a pending or a dead delivery.
    if (delivery) return { alerts: [] };
    const storage = this.ctx.storage;
    let records;
    if (stream) {
      const prefix = `stream-alert:${stream}:`;
      const index = await storage.list({ prefix, reverse: true, limit: MAX_ALERTS });
      const keys = [...index.keys()].slice(0, limit).map((k) => k.slice(prefix.length));
      const found = await getMany(storage, keys);
      records = keys.map((k) => found.get(k)).filter(Boolean);
    } else {
      records = [...(await storage.list({ prefix: "alert:", reverse: true, limit })).values()];
    }
    return { alerts: records.map(summarize) };
  }

  /** A stream's record changed: tell the live feed (nothing is stored). */
  /** A stream's change for the live feed: `{viewers}` it reached (the stream objects' gate). */
  streamChanged({ version, record }) {
    return { viewers: this.#broadcast({ type: "stream", version, record }) };
  }

  /** Sends `message` to every live-feed client; how many there are. */
  #broadcast(message) {
    const sockets = this.ctx.getWebSockets();
    if (sockets.length === 0) return 0;
    const text = JSON.stringify(message);
    for (const ws of sockets) {
      try {
        ws.send(text);
      } catch {}
    }
    return sockets.length;
  }
}
