// PagerDuty Events API v2 (`POST /v2/enqueue`), standing in for events.pagerduty.com.
// Documented shape: `routing_key` (the integration key, 32 characters), `event_action`
// trigger | acknowledge | resolve, `dedup_key` (at most 255 characters; required to acknowledge
// or resolve); a trigger's `payload` with `summary` (1 to 1 024 characters), `source`,
// `severity` (critical | error | warning | info) required and `timestamp` (ISO 8601),
// `component`, `group`, `class` (strings), `custom_details` (an object) optional; top-level
// `client`, `client_url`, `images`, `links` optional. Answers: 202
// `{"status":"success","message":"Event processed","dedup_key":…}`; 400
// `{"status":"invalid event","message":"Event object is invalid","errors":[…]}` for an event it
// will never accept; 429 when rate-limited; 5xx when unavailable. Payloads up to 512 KB.
import { startStandIn, isObject, isText, chars, unknownKeys, isIsoTime, isHttpUrl, json } from "./stand-in.mjs";

export const PAGERDUTY_PATH = "/v2/enqueue";
const ACTIONS = ["trigger", "acknowledge", "resolve"];
const SEVERITIES = ["critical", "error", "warning", "info"];
const TOP = ["routing_key", "event_action", "dedup_key", "payload", "client", "client_url", "images", "links"];
const PAYLOAD = ["summary", "source", "severity", "timestamp", "component", "group", "class", "custom_details"];

/** The problems of one Events API v2 event sent with `routingKey`. */
export function pagerdutyProblems(e, routingKey) {
  if (!isObject(e)) return ["the event is not a JSON object"];
  const p = unknownKeys(e, TOP).map((k) => `unknown field ${k}`);
  if (e.routing_key !== routingKey) p.push("routing_key is not the integration key");
  if (typeof e.routing_key === "string" && e.routing_key.length !== 32) p.push("routing_key is not 32 characters");
  if (!ACTIONS.includes(e.event_action)) p.push(`event_action ${JSON.stringify(e.event_action)}`);
  if (e.dedup_key !== undefined && (!isText(e.dedup_key) || chars(e.dedup_key) > 255)) p.push("dedup_key is not 1 to 255 characters");
  if (e.event_action !== "trigger" && e.dedup_key === undefined) p.push(`${e.event_action} without a dedup_key`);
  for (const k of ["client", "client_url"]) if (e[k] !== undefined && !isText(e[k])) p.push(`${k} is not a string`);
  if (e.client_url !== undefined && !isHttpUrl(e.client_url)) p.push("client_url is not a URL");
  if (e.event_action === "trigger") {
    const pl = e.payload;
    if (!isObject(pl)) return [...p, "a trigger without a payload object"];
    p.push(...unknownKeys(pl, PAYLOAD).map((k) => `unknown field payload.${k}`));
    if (!isText(pl.summary) || chars(pl.summary) > 1024) p.push("payload.summary is not 1 to 1024 characters");
    if (!isText(pl.source)) p.push("payload.source is missing");
    if (!SEVERITIES.includes(pl.severity)) p.push(`payload.severity ${JSON.stringify(pl.severity)}`);
    if (pl.timestamp !== undefined && !isIsoTime(pl.timestamp)) p.push(`payload.timestamp ${JSON.stringify(pl.timestamp)} is not ISO 8601`);
    for (const k of ["component", "group", "class"]) if (pl[k] !== undefined && !isText(pl[k])) p.push(`payload.${k} is not a string`);
    if (pl.custom_details !== undefined && !isObject(pl.custom_details)) p.push("payload.custom_details is not an object");
  }
  return p;
}

/** A stand-in for PagerDuty's Events API v2; subscribe `url` with `routingKey`. */
export async function startPagerDuty({ routingKey, respond } = {}) {
  return startStandIn({
    name: "pagerduty",
    path: PAGERDUTY_PATH,
    maxBytes: 512 * 1024,
    respond,
    check: (_hit, e) => pagerdutyProblems(e, routingKey),
    answer(status, { json: e, problems }) {
      switch (status ?? 202) {
        case 202:
          return json(202, { status: "success", message: "Event processed", dedup_key: e?.dedup_key ?? "generated-by-pagerduty" });
        case 400:
          return json(400, { status: "invalid event", message: "Event object is invalid", errors: problems.length ? problems : ["Length of 'routing_key' is incorrect (should be 32 characters)"] });
        case 429:
          return json(429, { status: "throttle event", message: "Requests for this service are arriving too quickly. Please retry later." });
        default:
          return { status, body: "" };
      }
    },
  });
}
