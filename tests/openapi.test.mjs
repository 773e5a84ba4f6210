// The OpenAPI document (board/openapi.json): valid OpenAPI 3.1 (its JSON Schema and the semantic
// rules a validator applies on top), served as it is at GET /openapi.json, in step with the
// README's route table, docs/api.md's error table and the provider registry, and a response check
// (tests/openapi-check.mjs, run on every answer the specs get) that fails when an answer is not
// the documented one.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";
import { Validator } from "@seriousme/openapi-schema-validator";
import { validate as validateOpenApi } from "@readme/openapi-parser";
import { startWorker, send, cloudflare, cfErrored } from "./helpers.mjs";
import {
  openapi, DOCUMENT_PATH, checkResponse, checkLiveMessage, checkWorkerResponse, messageProblems, schemaAt, matchPath, stats,
} from "./openapi-check.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const METHODS = ["get", "put", "post", "delete", "patch", "options", "head", "trace"];

let w;
before(async () => { w = await startWorker(); });
after(async () => { await w.dispose(); });

/** Every documented operation (a path's other methods are 405s with `Allow`, not operations). */
function operations() {
  const ops = [];
  for (const [p, item] of Object.entries(openapi.paths)) {
    for (const m of METHODS) {
      const op = item[m];
      if (op) ops.push({ method: m.toUpperCase(), path: p, op });
    }
  }
  return ops;
}

test("the document is valid OpenAPI 3.1, and every schema in it compiles", async () => {
  const validator = new Validator();
  const result = await validator.validate(structuredClone(openapi));
  assert.equal(result.valid, true, JSON.stringify(result.errors, null, 2));
  assert.equal(validator.version, "3.1");
  // The validator does not look inside schemas: ajv (strict, 2020-12) compiles every one.
  for (const name of Object.keys(openapi.components.schemas)) schemaAt(`#/components/schemas/${name}`);
  const ids = operations().map((o) => o.op.operationId);
  assert.ok(ids.every(Boolean), "every operation has an operationId");
  assert.equal(new Set(ids).size, ids.length, "operationIds are unique");
});

/** Schemas in the document that give a `default` (not a response keyed `default`, not a server variable), as JSON pointers. */
function schemasWithDefaults(node = openapi, at = []) {
  if (!node || typeof node !== "object") return [];
  const found = [];
  if (Object.hasOwn(node, "default") && at.at(-1) !== "responses" && at[0] !== "servers") found.push(at);
  for (const [k, v] of Object.entries(node)) found.push(...schemasWithDefaults(v, [...at, k]));
  return found;
}

test("the document passes a semantic validator: every path parameter declared, operationIds unique, references resolved; defaults match their schemas", async () => {
  // @readme/openapi-parser checks what a JSON Schema of OpenAPI cannot (the rules
  // openapi-spec-validator applies too): each operation declares every `{name}` of its path.
  const result = await validateOpenApi(structuredClone(openapi));
  assert.equal(result.valid, true, JSON.stringify(result.errors, null, 2));
  // It catches an undeclared path parameter (the `{token}` of Gcore's route, declared once on the path).
  const broken = structuredClone(openapi);
  delete broken.paths["/webhooks/gcore/{token}"].parameters;
  const refused = await validateOpenApi(broken);
  assert.equal(refused.valid, false);
  assert.match(refused.errors[0].message, /\/webhooks\/gcore\/\{token\}\/post` is missing path parameter\(s\) for `\{token\}`/);
  // Neither validator reads a default against its schema: ajv does.
  const defaults = schemasWithDefaults();
  assert.ok(defaults.length >= 3, "the document has defaults to check");
  for (const at of defaults) {
    const pointer = "#/" + at.map((p) => p.replaceAll("~", "~0").replaceAll("/", "~1")).join("/");
    const v = schemaAt(pointer);
    const value = at.reduce((o, k) => o[k], openapi).default;
    assert.ok(v(value), `${pointer}: default ${JSON.stringify(value)} does not match its schema: ${JSON.stringify(v.errors)}`);
  }
});

test("GET /openapi.json serves this very document (static assets), and GET / the board", async () => {
  const before = stats.responses;
  const res = await w.call("/openapi.json");
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type"), /^application\/json/);
  assert.deepEqual(await res.json(), JSON.parse(readFileSync(DOCUMENT_PATH, "utf8")));
  const board = await w.call("/");
  assert.equal(board.status, 200);
  assert.match(await board.text(), /<title>livehook/);
  assert.equal((await w.call("/openapi.json", { method: "HEAD" })).status, 200);
  // Static assets take GET and HEAD only: 405 without a body, with Allow (board/_headers).
  const post = await w.call("/openapi.json", { method: "POST", body: "{}" });
  assert.equal(post.status, 405);
  assert.equal(post.headers.get("allow"), "GET, HEAD");
  assert.equal(await post.text(), "");
  const options = await w.call("/", { method: "OPTIONS" });
  assert.equal(options.status, 405);
  assert.equal(options.headers.get("allow"), "GET, HEAD");
  assert.equal(stats.responses, before + 5, "the helpers' call checked each answer");
});

test("the document has the README's routes, docs/api.md's error codes, and a webhook route per configured provider", async () => {
  const readme = readFileSync(path.join(root, "README.md"), "utf8");
  const apiDoc = readFileSync(path.join(root, "docs", "api.md"), "utf8");
  const table = readme.split("## Routes")[1].split("\n\n")[1];
  const documented = new Set(operations().map((o) => `${o.method} ${o.path}`));
  const listed = new Set([...table.matchAll(/`(GET|POST|PUT|PATCH|DELETE) (\/[^`]*)`/g)].map((m) => `${m[1]} ${m[2]}`));
  assert.deepEqual([...documented].sort(), [...listed].sort(), "README Routes table vs board/openapi.json");
  const errorTable = apiDoc.split("Errors are `{\"error\":\"<code>\",\"message\":\"<text>\"}`:")[1].split("\n\n")[1];
  const codes = new Set([...errorTable.matchAll(/\| \d{3} \| ([^|]+)\|/g)].flatMap((m) => [...m[1].matchAll(/`([a-z_]+)`/g)].map((c) => c[1])));
  assert.deepEqual([...codes].sort(), [...openapi.components.schemas.Error.properties.error.enum].sort(), "docs/api.md error table vs Error.error");
  const health = await send(w, ["/healthz", {}]);
  // The providers whose route ends with their token.
  const tokenInPath = new Set(["gcore", "srs", "nginx-rtmp", "mediamtx"]);
  const routes = Object.keys(health.body.providers).map((r) => (tokenInPath.has(r) ? `/webhooks/${r}/{token}` : `/webhooks/${r}`));
  const webhooks = Object.keys(openapi.paths).filter((p) => p.startsWith("/webhooks/"));
  assert.deepEqual(webhooks.sort(), routes.sort(), "/healthz's providers vs the document's webhook routes");
  assert.equal(openapi.info.version, health.body.version, "info.version is the worker's version");
});

test("path templates: literal segments first, and an id of the wrong shape is no route", () => {
  assert.equal(matchPath("/alerts/live").template, "/alerts/live");
  assert.equal(matchPath("/alerts/alr_0a").template, "/alerts/{id}");
  assert.equal(matchPath("/alerts/bad!id"), null);
  assert.equal(matchPath("/streams/ivs/arn%3Aaws%3Aivs%3Aus-west-2%3A1%3Achannel%2Fx").template, "/streams/{provider}/{stream_id}");
  assert.equal(matchPath("/streams/"), null);
});

test("the response check fails on an undocumented route, method, status, header or body", async () => {
  const real = await send(w, cloudflare(cfErrored({ input: "0123456789abcdef0123456789abcdef" })));
  assert.equal(real.status, 200);
  const health = await send(w, ["/healthz", {}]);
  const alerts = await w.api("/alerts");
  const alert = await w.api(`/alerts/${alerts.body.alerts[0].id}`);
  const jsonHeaders = new Headers({ "content-type": "application/json" });
  const ok = (method, p, status, body, headers = jsonHeaders) =>
    checkResponse({ method, path: p, status, headers, text: typeof body === "string" ? body : JSON.stringify(body) });
  const fails = (what, pattern, ...args) => assert.throws(() => ok(...args), pattern, what);

  // The real answers pass (so each failure below is the change's doing).
  ok("POST", "/webhooks/cloudflare", 200, real.body);
  ok("GET", "/healthz", 200, health.body);
  ok("GET", "/alerts", 200, alerts.body);
  ok("GET", `/alerts/${alerts.body.alerts[0].id}`, 200, alert.body);
  ok("GET", "/nowhere", 404, { error: "not_found", message: "no such route" });
  ok("DELETE", "/healthz", 405, { error: "method_not_allowed", message: "m" }, new Headers({ "content-type": "application/json", allow: "GET" }));

  fails("a route the document does not have", /GET \/nowhere → 200: the path matches no route/, "GET", "/nowhere", 200, {});
  fails("a status the operation does not document", /GET \/healthz → 418: GET \/healthz documents 200, 500, not 418/, "GET", "/healthz", 418, {});
  fails("a method with no operation answered other than 405", /TRACE \/healthz → 200: \/healthz documents no TRACE, so it must be a 405 with Allow/, "TRACE", "/healthz", 200, {});
  ok("TRACE", "/healthz", 405, { error: "method_not_allowed", message: "m" }, new Headers({ "content-type": "application/json", allow: "GET" }));
  ok("PUT", "/subscriptions/sub_0a", 405, { error: "method_not_allowed", message: "m" }, new Headers({ "content-type": "application/json", allow: "GET, DELETE" }));
  ok("POST", "/", 405, "", new Headers({ allow: "GET, HEAD" }));
  fails("a 405 that names a method the path does not take", /header Allow: "GET, POST" does not match the methods \/healthz documents \(GET\)/, "DELETE", "/healthz", 405, { error: "method_not_allowed", message: "m" }, new Headers({ "content-type": "application/json", allow: "GET, POST" }));
  fails("a worker's 405 without its JSON body", /the body is not JSON/, "DELETE", "/healthz", 405, "", new Headers({ "content-type": "application/json", allow: "GET" }));
  fails("a static file's 405 without Allow", /POST \/ → 405: header Allow is documented as required and is missing/, "POST", "/", 405, "", new Headers());
  const { providers, ...noProviders } = health.body;
  fails("a missing field", /GET \/healthz → 200: the body does not match GET \/healthz 200:[\s\S]*must have required property 'providers'/, "GET", "/healthz", 200, noProviders);
  fails("an extra field", /must NOT have additional properties[\s\S]*"additionalProperty":"surprise"/, "GET", "/healthz", 200, { ...health.body, surprise: 1 });
  fails("an outcome that is not documented", /POST \/webhooks\/cloudflare → 200: the body does not match/, "POST", "/webhooks/cloudflare", 200, { ...real.body, outcome: "deferred" });
  fails("a wrong type deep inside", /\/alerts\/0\/deliveries\/pending must be integer/, "GET", "/alerts", 200, {
    alerts: [{ ...alerts.body.alerts[0], deliveries: { ...alerts.body.alerts[0].deliveries, pending: "1" } }],
  });
  const delivery = { subscriber_id: "sub_0a", webhook_id: "msg_0b", status: "pending", next_attempt_ms: 1, next_attempt_at: "2026-01-01T00:00:00Z", round_attempts: 0, attempts: [] };
  const withDelivery = (d) => ({ ...alert.body, deliveries: [d] });
  ok("GET", `/alerts/${alerts.body.alerts[0].id}`, 200, withDelivery(delivery));
  fails("a pending delivery without its next attempt", /must match exactly one schema in oneOf/, "GET", `/alerts/${alerts.body.alerts[0].id}`, 200,
    withDelivery({ ...delivery, next_attempt_ms: undefined }));
  fails("a dead delivery without its reason", /must match exactly one schema in oneOf/, "GET", `/alerts/${alerts.body.alerts[0].id}`, 200,
    withDelivery({ ...delivery, status: "dead", next_attempt_ms: undefined, next_attempt_at: undefined }));
  fails("an error code that is not this status's", /GET \/streams → 401: the body does not match[\s\S]*must be equal to constant/, "GET", "/streams", 401, { error: "not_found", message: "m" });
  fails("an unknown path must be a 404", /GET \/nowhere → 500/, "GET", "/nowhere", 500, { error: "unavailable", message: "m" });
  fails("a 405 without Allow", /header Allow is documented as required and is missing/, "DELETE", "/healthz", 405, { error: "method_not_allowed", message: "m" });
  fails("a 405 with the wrong Allow", /header Allow: "POST" does not match/, "DELETE", "/healthz", 405, { error: "method_not_allowed", message: "m" }, new Headers({ "content-type": "application/json", allow: "POST" }));
  fails("another content type", /Content-Type "text\/plain" is not one of application\/json/, "GET", "/healthz", 200, health.body, new Headers({ "content-type": "text/plain" }));
  fails("a body that is not JSON", /the body is not JSON/, "GET", "/healthz", 200, "<html>");
  fails("a body where none is documented", /the document gives this answer no body/, "POST", "/", 405, "nope", new Headers({ allow: "GET, HEAD" }));
  assert.throws(() => checkLiveMessage(JSON.stringify({ type: "alert", alert: {} })), /live feed message does not match LiveMessage/);
  assert.throws(() => checkLiveMessage("ping?"), /not JSON/);
  checkLiveMessage(JSON.stringify({ type: "hello", protocol: 1 }));
  checkLiveMessage("pong");
});

test("a live-feed message that does not match is caught by the socket's watcher (and fails the file)", async () => {
  const socket = new EventTarget();
  const counted = { ...stats };
  await checkWorkerResponse("GET", "/alerts/live", { status: 101, headers: new Headers({ "sec-websocket-protocol": "livehook" }), webSocket: socket });
  stats.responses = counted.responses; // not a worker's answer
  socket.dispatchEvent(new MessageEvent("message", { data: JSON.stringify({ type: "hello", protocol: 1 }) }));
  assert.equal(messageProblems.length, 0);
  socket.dispatchEvent(new MessageEvent("message", { data: JSON.stringify({ type: "stream", version: 1 }) }));
  assert.equal(messageProblems.length, 1);
  assert.match(messageProblems[0].message, /live feed message does not match LiveMessage[\s\S]*must have required property 'record'/);
  messageProblems.length = 0; // the helpers' after hook would fail this file with it
  stats.messages = counted.messages;
});
