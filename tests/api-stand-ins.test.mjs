// The provider-API stand-ins (tests/stand-ins/apis/) accept a request made the documented way,
// answer the documented shape and pagination, flag and refuse a wrong one, and do what a spec
// scripts (statuses, Retry-After, hang, garbage). Plain node: no worker.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash, createHmac } from "node:crypto";
import { startCloudflare } from "./stand-ins/apis/cloudflare.mjs";
import { startMux } from "./stand-ins/apis/mux.mjs";
import { startGcore } from "./stand-ins/apis/gcore.mjs";
import { startLivepeer } from "./stand-ins/apis/livepeer.mjs";
import { startFastpix } from "./stand-ins/apis/fastpix.mjs";
import { startIvs, verifySigV4 } from "./stand-ins/apis/ivs.mjs";
import { basic } from "./stand-ins/apis/api-stand-in.mjs";

async function call(url, { method = "GET", headers = {}, body, signal } = {}) {
  const res = await fetch(url, { method, headers, body, signal });
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {}
  return { status: res.status, headers: res.headers, text, json };
}

/** Every credential a stand-in was given never shows in what it records. */
function assertNoCredential(stand, secrets) {
  const recorded = JSON.stringify({ requests: stand.requests, problems: stand.problems });
  for (const s of secrets) assert.ok(!recorded.includes(s), `a credential is in the record`);
}

const states = [
  { id: "a", name: "A", state: "live" },
  { id: "b", name: "B", state: "idle" },
  { id: "c", name: "C", state: "disabled" },
  { id: "d", name: "D", state: "disconnected" },
];

test("cloudflare: the listing and each input answer the documented envelope, with a Bearer token", async () => {
  const cf = await startCloudflare();
  try {
    const ids = cf.generate(3).map((s) => s.id);
    cf.setStreams([
      { id: ids[0], name: "Main stage", state: "live" },
      { id: ids[1], name: "Never streamed", state: "idle" },
      { id: ids[2], state: "reconnecting" },
      { id: "null0000000000000000000000000000", state: null },
      { id: "off00000000000000000000000000000", state: "disabled" },
    ]);
    const auth = { authorization: `Bearer ${cf.env.CF_API_TOKEN}` };
    const root = `${cf.env.CF_API_BASE}/accounts/${cf.env.CF_ACCOUNT_ID}/stream/live_inputs`;
    assert.ok(cf.env.CF_API_BASE.endsWith("/client/v4"));
    const list = await call(root, { headers: auth });
    assert.equal(list.status, 200);
    assert.deepEqual([list.json.success, list.json.errors, list.json.result.total], [true, [], 5]);
    assert.deepEqual(list.json.result.liveInputs.map((i) => [i.uid, i.meta.name]).slice(0, 2), [[ids[0], "Main stage"], [ids[1], "Never streamed"]]);
    const state = async (uid) => (await call(`${root}/${uid}`, { headers: auth })).json.result.status?.current.state ?? null;
    assert.equal(await state(ids[0]), "connected");
    assert.equal(await state(ids[1]), null);
    assert.equal(await state(ids[2]), "reconnecting");
    assert.equal(await state("null0000000000000000000000000000"), null);
    const off = await call(`${root}/off00000000000000000000000000000`, { headers: auth });
    assert.deepEqual([off.json.result.enabled, off.json.result.status], [false, null]);
    assert.match(off.json.result.rtmps.streamKey, /^streamkey-/);
    // An input deleted since the listing: Cloudflare's 404, not a mistake of the client.
    assert.equal((await call(`${root}/gone`, { headers: auth })).status, 404);
    assert.deepEqual(cf.problems, []);
    assert.deepEqual(cf.rounds(), [{ pages: [1], complete: true, at: cf.rounds()[0].at }]);
    assert.equal(cf.inputRequests().length, 6);
    assert.equal(cf.requests[0].headers.authorization, "Bearer [redacted]");

    const bad = await call(root, { headers: { authorization: "Bearer wrong-token" } });
    assert.equal(bad.status, 401);
    assert.deepEqual(bad.json.errors, [{ code: 10000, message: "Authentication error" }]);
    assert.equal(bad.json.success, false);
    await call(`${root}?page=2`, { headers: auth });
    await call(`${cf.env.CF_API_BASE}/accounts/other/stream/live_inputs`, { headers: auth });
    await call(root, { method: "POST", headers: auth });
    assert.equal(cf.problems.length, 4, cf.problems.join("\n"));
    assert.match(cf.problems[0], /^cloudflare #8: authorization is not Bearer <CF_API_TOKEN>/);
    assert.match(cf.problems[1], /query parameter page is not documented/);
    assert.match(cf.problems[2], /path .* is not/);
    assert.match(cf.problems[3], /method POST, not GET/);
    assertNoCredential(cf, [cf.env.CF_API_TOKEN, "wrong-token"]);

    const asString = await startCloudflare({ statusAs: "string" });
    asString.setStreams([{ id: ids[0], state: "live" }]);
    const one = await call(`${asString.env.CF_API_BASE}/accounts/${asString.env.CF_ACCOUNT_ID}/stream/live_inputs/${ids[0]}`, { headers: { authorization: `Bearer ${asString.env.CF_API_TOKEN}` } });
    assert.equal(one.json.result.status, "connected");
    await asString.close();
  } finally {
    await cf.close();
  }
});

test("mux: pages of `limit` from page 1 until a short one, HTTP Basic", async () => {
  const mux = await startMux();
  try {
    mux.setStreams([...mux.generate(230, { state: (i) => (i === 0 ? "live" : "idle") }), ...states]);
    const auth = { authorization: basic(mux.env.MUX_TOKEN_ID, mux.env.MUX_TOKEN_SECRET) };
    const page = (n) => call(`${mux.env.MUX_API_BASE}/video/v1/live-streams?limit=100&page=${n}`, { headers: auth });
    const sizes = [];
    for (let n = 1; ; n++) {
      const p = await page(n);
      assert.equal(p.status, 200);
      sizes.push(p.json.data.length);
      if (p.json.data.length < 100) break;
    }
    assert.deepEqual(sizes, [100, 100, 34]);
    assert.deepEqual(mux.problems, []);
    assert.deepEqual(mux.rounds().map((r) => [r.pages, r.complete]), [[[1, 2, 3], true]]);
    const last = (await page(3)).json.data;
    assert.deepEqual(last.slice(-4).map((s) => [s.id, s.status, s.meta.title]), [["a", "active", "A"], ["b", "idle", "B"], ["c", "disabled", "C"], ["d", "idle", "D"]]);
    assert.equal((await page(1)).json.data[0].status, "active");

    // Past the end, a stopped round, wrong auth, an undocumented parameter, an out-of-range limit.
    await page(4);
    await page(1);
    assert.deepEqual(mux.rounds().map((r) => r.complete), [true, true, false]);
    const bad = await call(`${mux.env.MUX_API_BASE}/video/v1/live-streams?limit=100&page=1`, { headers: { authorization: basic(mux.env.MUX_TOKEN_ID, "nope") } });
    assert.equal(bad.status, 401);
    assert.deepEqual(bad.json, { error: { type: "unauthorized", messages: ["Unauthorized request"] } });
    assert.equal((await call(`${mux.env.MUX_API_BASE}/video/v1/live-streams?limit=500`, { headers: auth })).status, 400);
    assert.equal((await call(`${mux.env.MUX_API_BASE}/video/v1/live-streams?cursor=x`, { headers: auth })).status, 400);
    assert.equal(mux.problems.length, 4, mux.problems.join("\n"));
    assert.match(mux.problems[0], /page 4 asked after the listing ended \(its last page is 3\)/);
    assert.match(mux.problems[1], /authorization is not Basic base64\(MUX_TOKEN_ID:MUX_TOKEN_SECRET\)/);
    assertNoCredential(mux, [mux.env.MUX_TOKEN_SECRET, auth.authorization.split(" ")[1]]);
  } finally {
    await mux.close();
  }
});

test("gcore: an array a page from page 1 until an empty one, APIKey", async () => {
  const gcore = await startGcore({ pageSize: 25 });
  try {
    gcore.setStreams([...gcore.generate(50), { id: "7", name: "Backup", state: "backup" }, { id: "8", name: "On air", state: "live" }]);
    const auth = { authorization: `APIKey ${gcore.env.GCORE_API_KEY}` };
    const sizes = [];
    let all = [];
    for (let n = 1; ; n++) {
      const p = await call(`${gcore.env.GCORE_API_BASE}/streaming/streams?page=${n}`, { headers: auth });
      assert.ok(Array.isArray(p.json));
      sizes.push(p.json.length);
      all = all.concat(p.json);
      if (p.json.length === 0) break;
    }
    assert.deepEqual(sizes, [25, 25, 2, 0]);
    assert.deepEqual(all.slice(-2).map((s) => [s.id, s.live, s.backup_live]), [[7, false, true], [8, true, false]]);
    assert.equal(typeof all[0].id, "number");
    assert.deepEqual(gcore.problems, []);
    assert.deepEqual(gcore.rounds().map((r) => [r.pages, r.complete]), [[[1, 2, 3, 4], true]]);

    await call(`${gcore.env.GCORE_API_BASE}/streaming/streams?page=5`, { headers: auth });
    const missing = await call(`${gcore.env.GCORE_API_BASE}/streaming/streams?page=1`);
    assert.equal(missing.status, 401);
    assert.equal(missing.json.message, "Authentication credentials were not provided.");
    assert.ok(missing.json.exception_class && missing.json.request_id);
    const lower = await call(`${gcore.env.GCORE_API_BASE}/streaming/streams?page=1`, { headers: { authorization: `Bearer ${gcore.env.GCORE_API_KEY}` } });
    assert.equal(lower.status, 401);
    assert.equal(gcore.problems.length, 3, gcore.problems.join("\n"));
    assert.match(gcore.problems[0], /page 5 asked after the listing ended/);
    assert.match(gcore.problems[2], /not APIKey <GCORE_API_KEY> .*\(scheme Bearer\)/);
    assertNoCredential(gcore, [gcore.env.GCORE_API_KEY]);
  } finally {
    await gcore.close();
  }
});

test("livepeer: one array with streamsonly=1, Bearer; session children without it", async () => {
  const lp = await startLivepeer();
  try {
    lp.setStreams(states);
    const auth = { authorization: `Bearer ${lp.env.LIVEPEER_API_KEY}` };
    assert.ok(lp.env.LIVEPEER_API_BASE.endsWith("/api"));
    const list = await call(`${lp.env.LIVEPEER_API_BASE}/stream?streamsonly=1`, { headers: auth });
    assert.deepEqual(list.json.map((s) => [s.id, s.isActive, s.suspended]), [["a", true, false], ["b", false, false], ["c", false, true], ["d", false, false]]);
    assert.deepEqual(lp.problems, []);
    const withSessions = await call(`${lp.env.LIVEPEER_API_BASE}/stream`, { headers: auth });
    assert.deepEqual(withSessions.json.filter((s) => s.parentId).map((s) => s.parentId), ["a"]);
    const bad = await call(`${lp.env.LIVEPEER_API_BASE}/stream?streamsonly=1&limit=10`, { headers: { authorization: "Basic xyz" } });
    assert.equal(bad.status, 401);
    assert.deepEqual(bad.json, { errors: ["Unauthorized"] });
    assert.equal(lp.problems.length, 2, lp.problems.join("\n"));
    assert.match(lp.problems[1], /query parameter limit is not documented/);
  } finally {
    await lp.close();
  }
});

test("fastpix: offset is the page number, pagination.offsetCount the pages, limit at most 50", async () => {
  const fp = await startFastpix();
  try {
    fp.setStreams([...fp.generate(95), { id: "p", state: "preparing" }, ...states]);
    const auth = { authorization: basic(fp.env.FASTPIX_TOKEN_ID, fp.env.FASTPIX_TOKEN_SECRET) };
    const pages = [];
    for (let n = 1; ; n++) {
      const p = await call(`${fp.env.FASTPIX_API_BASE}/live/streams?limit=50&offset=${n}&orderBy=asc`, { headers: auth });
      assert.equal(p.json.success, true);
      pages.push(p.json);
      if (n >= p.json.pagination.offsetCount) break;
    }
    assert.deepEqual(pages.map((p) => [p.data.length, p.pagination.currentOffset, p.pagination.offsetCount, p.pagination.totalRecords]), [[50, 1, 2, 100], [50, 2, 2, 100]]);
    assert.deepEqual(pages[1].data.slice(-5).map((s) => s.status), ["preparing", "active", "idle", "disabled", "idle"]);
    assert.deepEqual(fp.problems, []);
    assert.deepEqual(fp.rounds().map((r) => [r.pages, r.complete]), [[[1, 2], true]]);
    // The default order is newest first.
    const desc = await call(`${fp.env.FASTPIX_API_BASE}/live/streams?limit=1&offset=1`, { headers: auth });
    assert.equal(desc.json.data[0].streamId, "d");

    const tooMany = await call(`${fp.env.FASTPIX_API_BASE}/live/streams?limit=100&offset=1`, { headers: auth });
    assert.equal(tooMany.status, 400);
    assert.equal(tooMany.json.success, false);
    await call(`${fp.env.FASTPIX_API_BASE}/live/streams?limit=50&offset=3`, { headers: auth });
    const bad = await call(`${fp.env.FASTPIX_API_BASE}/live/streams?limit=50&offset=1`, { headers: { authorization: basic("x", "y") } });
    assert.equal(bad.status, 401);
    assert.equal(bad.json.error.code, 401);
    assert.equal(fp.problems.length, 3, fp.problems.join("\n"));
    assert.match(fp.problems[0], /query parameter limit=100: not an integer from 1 to 50/);
    assert.match(fp.problems[1], /page 3 asked after the listing ended \(its last page is 2\)/);
    assertNoCredential(fp, [fp.env.FASTPIX_TOKEN_SECRET]);
    const raised = await startFastpix({ maxLimit: 100 });
    raised.setStreams(states);
    const ok = await call(`${raised.env.FASTPIX_API_BASE}/live/streams?limit=100&offset=1`, { headers: { authorization: basic(raised.env.FASTPIX_TOKEN_ID, raised.env.FASTPIX_TOKEN_SECRET) } });
    assert.deepEqual([ok.status, raised.problems], [200, []]);
    await raised.close();
  } finally {
    await fp.close();
  }
});

// --- IVS and SigV4 -------------------------------------------------------------------------

/** A SigV4 signer for these tests only; it reproduces botocore's signature below first. */
function sign({ method, host, path, body, amzDate, keyId, secret, region, headers = {} }) {
  const h = (k, d) => createHmac("sha256", k).update(d).digest();
  const all = { ...headers, host, "x-amz-date": amzDate };
  const names = Object.keys(all).sort();
  const canonical = [method, path, "", ...names.map((n) => `${n}:${all[n]}`), "", names.join(";"), createHash("sha256").update(body).digest("hex")].join("\n");
  const scope = `${amzDate.slice(0, 8)}/${region}/ivs/aws4_request`;
  const toSign = ["AWS4-HMAC-SHA256", amzDate, scope, createHash("sha256").update(canonical).digest("hex")].join("\n");
  let key = h(`AWS4${secret}`, amzDate.slice(0, 8));
  for (const p of [region, "ivs", "aws4_request"]) key = h(key, p);
  return `AWS4-HMAC-SHA256 Credential=${keyId}/${scope}, SignedHeaders=${names.join(";")}, Signature=${h(key, toSign).toString("hex")}`;
}

const amzDateOf = (ms) => new Date(ms).toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");

test("sigv4: the verifier accepts AWS's published vectors and botocore's IVS signature, and refuses altered ones", () => {
  const suite = { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", region: "us-east-1", service: "service", now: Date.parse("2015-08-30T12:36:00Z") };
  const scope = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=";
  const base = { host: "example.amazonaws.com", "x-amz-date": "20150830T123600Z" };
  const vectors = [
    { method: "GET", path: "/", search: "", headers: base, body: "", sig: "host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31" },
    { method: "GET", path: "/", search: "?Param2=value2&Param1=value1", headers: base, body: "", sig: "host;x-amz-date, Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500" },
    { method: "GET", path: "/", search: "?Param-3=Value3&Param=Value2&%E1%88%B4=Value1", headers: base, body: "", sig: "host;x-amz-date, Signature=371d3713e185cc334048618a97f809c9ffe339c62934c032af5a0e595648fcac" },
    { method: "GET", path: "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", search: "", headers: base, body: "", sig: "host;x-amz-date, Signature=07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f" },
    { method: "GET", path: "/", search: "", headers: { ...base, "my-header1": " value1", "my-header2": ' "a   b   c"' }, body: "", sig: "host;my-header1;my-header2;x-amz-date, Signature=acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736" },
    { method: "GET", path: "/", search: "", headers: { ...base, "my-header1": ["value4", "value1", "value3", "value2"] }, body: "", sig: "host;my-header1;x-amz-date, Signature=08c7e5a9acfcfeb3ab6b2185e75ce8b1deb5e634ec47601a50643f830c755c01" },
    {
      method: "POST", path: "/", search: "", body: "Param1=value1",
      headers: { ...base, "content-type": "application/x-www-form-urlencoded; charset=utf-8", "content-length": "13", "x-amz-content-sha256": "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e" },
      sig: "content-length;content-type;host;x-amz-content-sha256;x-amz-date, Signature=328d1b9eaadca9f5818ef05e8392801e091653bafec24fcab71e7344e7f51422",
    },
  ];
  for (const v of vectors) {
    const req = { ...v, headers: { ...v.headers, authorization: scope + v.sig } };
    assert.deepEqual(verifySigV4(req, suite).ok, true, v.path + v.search);
    assert.equal(verifySigV4(req, { ...suite, secretAccessKey: "other" }).kind, "InvalidSignatureException");
    assert.equal(verifySigV4({ ...req, method: v.method === "GET" ? "HEAD" : "PUT" }, suite).ok, false);
    assert.equal(verifySigV4({ ...req, headers: { ...req.headers, host: "example.amazonaws.com:443" } }, suite).ok, false);
  }
  // The IVS request the core's sigv4.rs pins, as botocore 1.43.11 signs it.
  const ivs = {
    method: "POST", path: "/ListStreams", search: "", body: "{}",
    headers: { host: "ivs.us-west-2.amazonaws.com", "x-amz-date": "20260101T000000Z", "content-type": "application/json", authorization: "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-west-2/ivs/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=9bb65698acd8bd8ee6f2388bb016e7010f43bdd7bb9d4c2ecf86b7f875fbbc60" },
  };
  const keys = { ...suite, region: "us-west-2", service: "ivs", now: Date.parse("2026-01-01T00:00:00Z") };
  assert.equal(verifySigV4(ivs, keys).ok, true);
  assert.equal(sign({ method: "POST", host: ivs.headers.host, path: "/ListStreams", body: "{}", amzDate: "20260101T000000Z", keyId: "AKIDEXAMPLE", secret: suite.secretAccessKey, region: "us-west-2", headers: { "content-type": "application/json" } }), ivs.headers.authorization);
  assert.equal(verifySigV4({ ...ivs, body: '{"maxResults":100}' }, keys).kind, "InvalidSignatureException");
  assert.equal(verifySigV4(ivs, { ...keys, region: "eu-west-1" }).kind, "InvalidSignatureException");
  assert.equal(verifySigV4(ivs, { ...keys, accessKeyId: "AKIDOTHER" }).kind, "UnrecognizedClientException");
  assert.match(verifySigV4(ivs, { ...keys, now: keys.now + 6 * 60_000 }).problem, /signature expired/);
  assert.equal(verifySigV4({ ...ivs, headers: { ...ivs.headers, "x-amz-content-sha256": "0".repeat(64) } }, keys).ok, false);
  const noType = ivs.headers.authorization.replace("content-type;", "");
  assert.match(verifySigV4({ ...ivs, headers: { ...ivs.headers, authorization: noType } }, keys).problem, /content-type is sent but not signed/);
  const { authorization, ...unsigned } = ivs.headers;
  assert.equal(verifySigV4({ ...ivs, headers: unsigned }, keys).kind, "MissingAuthenticationTokenException");
  for (const r of [verifySigV4(ivs, { ...keys, secretAccessKey: "other" })]) assert.ok(!JSON.stringify(r).includes(suite.secretAccessKey));
});

test("ivs: signed POST /ListStreams pages by nextToken and lists live channels only", async () => {
  const ivs = await startIvs({ pageSize: 2 });
  try {
    const arns = ivs.generate(6).map((s) => s.id);
    ivs.setStreams([
      { id: arns[0], state: "live" },
      { id: arns[1], state: "idle" },
      { id: arns[2], state: "live" },
      { id: arns[3], state: "disconnected" },
      { id: arns[4], state: "STARVING" },
      { id: arns[5], state: "live" },
    ]);
    const host = new URL(ivs.env.IVS_API_BASE).host;
    const post = (body, { secret = ivs.env.IVS_AWS_SECRET_ACCESS_KEY, at = Date.now(), contentType = "application/json" } = {}) => {
      const amzDate = amzDateOf(at);
      const headers = { "content-type": contentType };
      const authorization = sign({ method: "POST", host, path: "/ListStreams", body, amzDate, keyId: ivs.env.IVS_AWS_ACCESS_KEY_ID, secret, region: ivs.env.IVS_REGION, headers });
      return call(`${ivs.env.IVS_API_BASE}/ListStreams`, { method: "POST", body, headers: { ...headers, "x-amz-date": amzDate, authorization } });
    };
    const seen = [];
    let body = JSON.stringify({ maxResults: 100 });
    for (;;) {
      const p = await post(body);
      assert.equal(p.status, 200, p.text);
      seen.push(...p.json.streams.map((s) => [s.channelArn, s.state, s.health]));
      if (!p.json.nextToken) break;
      body = JSON.stringify({ maxResults: 100, nextToken: p.json.nextToken });
    }
    assert.deepEqual(seen, [[arns[0], "LIVE", "HEALTHY"], [arns[2], "LIVE", "HEALTHY"], [arns[4], "LIVE", "STARVING"], [arns[5], "LIVE", "HEALTHY"]]);
    assert.deepEqual(ivs.problems, []);
    assert.deepEqual(ivs.rounds().map((r) => [r.pages, r.complete]), [[[1, 2], true]]);

    const forged = await post(JSON.stringify({ maxResults: 100 }), { secret: "not-the-secret" });
    assert.equal(forged.status, 403);
    assert.equal(forged.headers.get("x-amzn-errortype"), "InvalidSignatureException");
    assert.match(forged.json.message, /^The request signature we calculated does not match/);
    const stale = await post(JSON.stringify({}), { at: Date.now() - 10 * 60_000 });
    assert.equal(stale.status, 403);
    assert.equal((await post(JSON.stringify({ nextToken: "bm9wZQ==" }))).headers.get("x-amzn-errortype"), "ValidationException");
    assert.equal((await post(JSON.stringify({ maxResults: 500 }))).status, 400);
    assert.equal((await post("{}", { contentType: "text/plain" })).status, 400);
    const unsigned = await call(`${ivs.env.IVS_API_BASE}/ListStreams`, { method: "POST", body: "{}", headers: { "content-type": "application/json" } });
    assert.equal(unsigned.headers.get("x-amzn-errortype"), "MissingAuthenticationTokenException");
    assert.equal(ivs.problems.length, 6, ivs.problems.join("\n"));
    assert.match(ivs.problems[0], /signature does not match/);
    assert.match(ivs.problems[1], /signature expired/);
    assert.match(ivs.problems[2], /nextToken is not one this stand-in gave/);
    assert.match(ivs.problems[4], /content-type text\/plain, not application\/json/);
    assertNoCredential(ivs, [ivs.env.IVS_AWS_SECRET_ACCESS_KEY]);
    assert.equal(ivs.requests[0].headers.authorization, "AWS4-HMAC-SHA256 [redacted]");
  } finally {
    await ivs.close();
  }
});

// --- What a spec scripts, shared by all six ----------------------------------------------

test("scripted answers: statuses in the provider's error shape, Retry-After, garbage, hang, delay", async () => {
  const mux = await startMux();
  let cf = await startCloudflare();
  try {
    mux.setStreams(states);
    const auth = { authorization: basic(mux.env.MUX_TOKEN_ID, mux.env.MUX_TOKEN_SECRET) };
    const url = `${mux.env.MUX_API_BASE}/video/v1/live-streams?limit=100&page=1`;
    mux.respond((req, n) => [undefined, 500, { status: 429, retryAfter: 7 }, 401, 403, "garbage", { garbage: "<html>502</html>" }, { delayMs: 150 }][n - 1]);
    assert.equal((await call(url, { headers: auth })).status, 200);
    const e500 = await call(url, { headers: auth });
    assert.equal(e500.status, 500);
    assert.equal(typeof e500.json.error.type, "string");
    const e429 = await call(url, { headers: auth });
    assert.deepEqual([e429.status, e429.headers.get("retry-after"), e429.json.error.type], [429, "7", "too_many_requests"]);
    assert.deepEqual((await call(url, { headers: auth })).json.error.type, "unauthorized");
    assert.equal((await call(url, { headers: auth })).status, 403);
    const cut = await call(url, { headers: auth });
    assert.equal(cut.status, 200);
    assert.equal(cut.json, undefined, "garbage is not JSON");
    assert.ok(cut.text.startsWith('{"data":['));
    assert.equal((await call(url, { headers: auth })).text, "<html>502</html>");
    const started = Date.now();
    assert.equal((await call(url, { headers: auth })).status, 200);
    assert.ok(Date.now() - started >= 140);
    assert.deepEqual(mux.requests.map((r) => r.answered), [200, 500, 429, 401, 403, 200, 200, 200]);
    // A scripted status is not a mistake of the client.
    assert.deepEqual(mux.problems, []);

    cf.setStreams([]);
    cf.respond(() => "hang");
    const list = `${cf.env.CF_API_BASE}/accounts/${cf.env.CF_ACCOUNT_ID}/stream/live_inputs`;
    const until = async (ok) => { while (!ok()) await new Promise((r) => setTimeout(r, 10)); };
    const abort = new AbortController();
    const given = call(list, { headers: { authorization: `Bearer ${cf.env.CF_API_TOKEN}` }, signal: abort.signal });
    await until(() => cf.requests.length === 1);
    assert.deepEqual([cf.requests[0].answered, cf.hanging], ["hang", 1]);
    abort.abort();
    await assert.rejects(given);
    await until(() => cf.hanging === 0);
    // A request still waiting when the stand-in closes is let go (the connection ends).
    const waiting = call(list, { headers: { authorization: `Bearer ${cf.env.CF_API_TOKEN}` } });
    await until(() => cf.requests.length === 2);
    assert.equal(cf.hanging, 1);
    await cf.close();
    await assert.rejects(waiting);
    assert.equal(cf.hanging, 0);
    cf = await startCloudflare();
    cf.setStreams([]);
    const list2 = `${cf.env.CF_API_BASE}/accounts/${cf.env.CF_ACCOUNT_ID}/stream/live_inputs`;
    cf.respond(() => ({ status: 429, retryAfter: 30 }));
    const limited = await call(list2, { headers: { authorization: `Bearer ${cf.env.CF_API_TOKEN}` } });
    assert.deepEqual([limited.status, limited.headers.get("retry-after"), limited.json.errors[0].code], [429, "30", 971]);
  } finally {
    await mux.close();
    await cf.close();
  }
});

test("countIn gives the most requests in any window; rounds show a client that loops", async () => {
  const lp = await startLivepeer();
  try {
    lp.setStreams(states);
    const url = `${lp.env.LIVEPEER_API_BASE}/stream?streamsonly=1`;
    const auth = { authorization: `Bearer ${lp.env.LIVEPEER_API_KEY}` };
    for (let i = 0; i < 8; i++) await call(url, { headers: auth });
    assert.equal(lp.countIn(60_000), 8);
    // The arrival times set by hand, so the count does not depend on the machine's speed.
    [0, 10, 20, 30, 40, 1000, 1010, 1020].forEach((at, i) => (lp.requests[i].at = at));
    assert.equal(lp.countIn(100), 5);
    assert.equal(lp.countIn(1000), 5);
    assert.equal(lp.countIn(1020), 7);
    assert.equal(lp.countIn(1021), 8);
    assert.equal(lp.countIn(1021, (r) => r.n > 5), 3);
    assert.equal(lp.rounds().length, 8);
  } finally {
    await lp.close();
  }
});

test("10 000 inputs: generated and set at once, listed in one answer, each input read from a Map", async (t) => {
  const cf = await startCloudflare();
  try {
    let started = performance.now();
    const inputs = cf.generate(10_000, { state: (i) => (i % 10 === 0 ? "live" : "idle") });
    cf.setStreams(inputs);
    const setMs = performance.now() - started;
    assert.equal(new Set(inputs.map((s) => s.id)).size, 10_000);
    const auth = { authorization: `Bearer ${cf.env.CF_API_TOKEN}` };
    const root = `${cf.env.CF_API_BASE}/accounts/${cf.env.CF_ACCOUNT_ID}/stream/live_inputs`;
    started = performance.now();
    const list = await call(root, { headers: auth });
    const listMs = performance.now() - started;
    assert.equal(list.json.result.liveInputs.length, 10_000);
    started = performance.now();
    const uids = inputs.map((s) => s.id);
    const states = new Array(uids.length);
    let next = 0;
    await Promise.all(Array.from({ length: 16 }, async () => {
      while (next < uids.length) {
        const i = next++;
        states[i] = (await call(`${root}/${uids[i]}`, { headers: auth })).json.result.status?.current.state ?? null;
      }
    }));
    const inputsMs = performance.now() - started;
    assert.equal(states.filter((s) => s === "connected").length, 1_000);
    assert.deepEqual(cf.problems, []);
    t.diagnostic(`generate+setStreams 10000: ${setMs.toFixed(1)} ms; listing: ${listMs.toFixed(0)} ms; 10000 per-input GETs (16 at a time): ${inputsMs.toFixed(0)} ms`);
  } finally {
    await cf.close();
  }
});
