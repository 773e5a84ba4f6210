// `npm run live -- [url] [token]`: prints the live alert feed (GET /alerts/live, a WebSocket).
// The token travels as the subprotocol `bearer.<base64url(token)>`, the way a browser sends it.
const base = process.argv[2] ?? "http://127.0.0.1:8787";
const token = process.argv[3] ?? process.env.STATUS_API_TOKEN ?? "local-api-token";
const url = base.replace(/^http/, "ws") + "/alerts/live";
const ws = new WebSocket(url, ["livehook", `bearer.${Buffer.from(token).toString("base64url")}`]);
ws.addEventListener("open", () => console.log(`connected to ${url}`));
ws.addEventListener("message", (e) => console.log(e.data));
ws.addEventListener("close", (e) => console.log(`closed (${e.code})`));
ws.addEventListener("error", () => console.error("WebSocket error (is the worker running, is the token right?)"));
setInterval(() => ws.readyState === 1 && ws.send("ping"), 30_000);
