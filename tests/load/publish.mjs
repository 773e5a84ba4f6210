// `npm run load:publish` (= `npm run load -- --scenario=publish`): the answer time of the hooks
// self-hosted media servers call in their publish path, against `npm run dev` (started here on
// LOAD_URL, default http://127.0.0.1:8787, with fresh state, unless one already answers there).
//
// For each server that waits for the answer before it lets a publisher in (`--servers=` SRS's
// `on_publish`, nginx-rtmp's `publish`, OvenMediaEngine's `opening`; all three by default):
// 50 publishers (`--publishers=50`) start at once, each its own stream, then stop at once,
// `--rounds=10` times, every answer checked (200 and the body the server needs); then 100 starts
// and stops one at a time. Prints each call's p50/p95/p99/max, and exits non-zero on any other
// answer. MediaMTX is left out: it does not wait for its hook.
import { createHmac } from "node:crypto";
import { BASE, arg, ensureDev, percentiles, post, run } from "./common.mjs";

const PUBLISHERS = arg("publishers", 50);
const ROUNDS = arg("rounds", 10);

/** Per server: its start and stop call for publisher `i` in `round`, and the answer it needs. */
const SERVERS = {
  srs: {
    calls: ["on_publish", "on_unpublish"],
    request(action, i, round) {
      const body = JSON.stringify({
        server_id: "vid-load000", service_id: "load0000", action, client_id: `c${run}${round}x${i}`,
        ip: "127.0.0.1", vhost: "__defaultVhost__", app: "load", tcUrl: "rtmp://127.0.0.1/load",
        stream: `${run}-cam${i}`, param: "", stream_url: `/load/${run}-cam${i}`, stream_id: `vid-${i}`,
      });
      return { path: "/webhooks/srs/local-srs-token", headers: { "User-Agent": "SRS/6.0.157(Hang)" }, body };
    },
    answered: (a) => a.status === 200 && a.body === '{"code":0}',
  },
  "nginx-rtmp": {
    calls: ["publish", "publish_done"],
    request(call, i, round) {
      const body = `app=load&flashver=FMLE/3.0%20(compatible%3B%20Lavf61.7.100)&swfurl=&tcurl=rtmp://127.0.0.1:1935/load&pageurl=&addr=127.0.0.1&clientid=${round === "alone" ? 100000 + i : Number(round) * 1000 + i}&call=${call}&name=${run}-cam${i}${call === "publish" ? "&type=live" : ""}`;
      return { path: "/webhooks/nginx-rtmp/local-nginx-rtmp-token", headers: { "Content-Type": "application/x-www-form-urlencoded", Connection: "Close" }, body };
    },
    answered: (a) => a.status === 200 && a.body === "",
  },
  ovenmediaengine: {
    calls: ["opening", "closing"],
    request(status, i) {
      const request = { direction: "incoming", protocol: "RTMP", status, time: new Date().toISOString(), url: `rtmp://127.0.0.1:1935/load/${run}-cam${i}` };
      const body = JSON.stringify({ client: { address: "127.0.0.1", port: 40000 + i, real_ip: "127.0.0.1" }, request });
      const signature = createHmac("sha1", "local-ome-secret").update(body).digest("base64url");
      return { path: "/webhooks/ovenmediaengine", headers: { "X-OME-Signature": signature, "User-Agent": "OvenMediaEngine" }, body };
    },
    answered: (a, status) => a.status === 200 && a.body === (status === "opening" ? '{"allowed":true}' : "{}"),
  },
};

export async function main() {
  const names = String(arg("servers", Object.keys(SERVERS).join(","))).split(",");
  for (const n of names) if (!SERVERS[n]) throw new Error(`load: unknown server ${n} (${Object.keys(SERVERS).join(", ")})`);
  const dev = await ensureDev();
  let wrong = 0;
  try {
    console.log(`| hook (${BASE}) | answers | p50 ms | p95 ms | p99 ms | max ms |`);
    console.log("|---|---:|---:|---:|---:|---:|");
    for (const name of names) {
      const server = SERVERS[name];
      const check = (call, a) => {
        if (server.answered(a, call)) return;
        wrong += 1;
        if (wrong <= 5) console.error(`load: ${name} ${call} answered ${a.status} ${a.body.slice(0, 200)}`);
      };
      const together = Object.fromEntries(server.calls.map((c) => [c, []]));
      for (let round = 0; round < ROUNDS; round++) {
        for (const call of server.calls) {
          const answers = await Promise.all(Array.from({ length: PUBLISHERS }, (_, i) => post(server.request(call, i, String(round)))));
          for (const a of answers) {
            together[call].push(a.ms);
            check(call, a);
          }
        }
      }
      // The same hooks one at a time: what one publisher waits without the others' queue.
      const alone = Object.fromEntries(server.calls.map((c) => [c, []]));
      for (let i = 0; i < 100; i++) {
        for (const call of server.calls) {
          const a = await post(server.request(call, i, "alone"));
          alone[call].push(a.ms);
          check(call, a);
        }
      }
      const row = (label, ms) => {
        const p = percentiles(ms);
        return `| ${label} | ${p.n} | ${p.p50} | ${p.p95} | ${p.p99} | ${p.max} |`;
      };
      for (const call of server.calls) console.log(row(`${name} ${call}, ${PUBLISHERS} at once, ${ROUNDS} rounds`, together[call]));
      for (const call of server.calls) console.log(row(`${name} ${call}, one at a time`, alone[call]));
    }
    console.log(`other answers: ${wrong}`);
    return wrong ? 1 : 0;
  } finally {
    await dev.stop();
  }
}
