// A local HTTP receiver standing in for a subscriber: records every request and answers what
// the test scripts (a status, optionally headers or a delay).
import http from "node:http";

/** A request that carries an incident notification, not an alert (`incident.*` webhook events). */
export const isIncidentNotice = (hit) => /^\{"type":"incident\./.test(hit.body);

/**
 * `respond(hit, n)` returns a status number or `{ status, headers, delayMs }`; `n` is 1-based.
 * Listens on 127.0.0.1 (`port` 0 picks a free one). Requests for which `setAside(hit)` is true
 * are answered 200 and kept in `setAsideHits`, not in `hits` (a spec about alerts sets the
 * subscriber's incident notifications aside).
 */
export async function startReceiver({ port = 0, respond = () => 200, setAside = () => false } = {}) {
  const hits = [];
  const setAsideHits = [];
  const sockets = new Set();
  let handler = respond;
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", async () => {
      const hit = { method: req.method, path: req.url, headers: req.headers, body: Buffer.concat(chunks).toString("utf8"), at: Date.now() };
      if (setAside(hit)) {
        setAsideHits.push(hit);
        res.writeHead(200);
        res.end();
        return;
      }
      hits.push(hit);
      let answer = handler(hit, hits.length);
      if (typeof answer === "number") answer = { status: answer };
      if (answer.delayMs) await new Promise((r) => setTimeout(r, answer.delayMs));
      res.writeHead(answer.status, answer.headers ?? {});
      res.end(answer.body ?? "");
    });
  });
  server.on("connection", (s) => { sockets.add(s); s.on("close", () => sockets.delete(s)); });
  await new Promise((resolve) => server.listen(port, "127.0.0.1", resolve));
  const actualPort = server.address().port;
  return {
    port: actualPort,
    url: `http://127.0.0.1:${actualPort}`,
    hits,
    setAsideHits,
    respond(fn) { handler = fn; },
    json(i) { return JSON.parse(hits[i].body); },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** A port with nothing listening on it (for a subscriber that is down). */
export async function freePort() {
  const r = await startReceiver();
  const { port } = r;
  await r.close();
  return port;
}
