// `npm run load:publish` (= `npm run load -- --scenario=publish`): the answer time of the hooks
// self-hosted media servers call in their publish path, against `npm run dev` (started here on
// LOAD_URL, default http://127.0.0.1:8787, with fresh state, unless one already answers there).
//
// 50 publishers (`--publishers=50`) publish at once through SRS's `on_publish`, each to its own
// stream, then unpublish at once, `--rounds=10` times: 500 publishes and 500 unpublishes, every
// answer checked (200, `{"code":0}`); then 100 of each one at a time. Prints the answers'
// p50/p95/p99/max, and exits non-zero on any other answer. The hooks a server waits for are the
// publishes: SRS lets a publisher in only once livehook answers.
import { BASE, arg, ensureDev, percentiles, post, run } from "./common.mjs";

const PUBLISHERS = arg("publishers", 50);
const ROUNDS = arg("rounds", 10);
const TOKEN = "local-srs-token";

/** One SRS call for publisher `i` in round `round`. */
function call(action, i, round) {
  const body = JSON.stringify({
    server_id: "vid-load000", service_id: "load0000", action, client_id: `c${run}${round}x${i}`,
    ip: "127.0.0.1", vhost: "__defaultVhost__", app: "load", tcUrl: "rtmp://127.0.0.1/load",
    stream: `${run}-cam${i}`, param: "", stream_url: `/load/${run}-cam${i}`, stream_id: `vid-${i}`,
  });
  return { path: `/webhooks/srs/${TOKEN}`, headers: { "User-Agent": "SRS/6.0.157(Hang)" }, body };
}

export async function main() {
  const dev = await ensureDev();
  try {
    const times = { on_publish: [], on_unpublish: [] };
    let wrong = 0;
    for (let round = 0; round < ROUNDS; round++) {
      for (const action of ["on_publish", "on_unpublish"]) {
        const answers = await Promise.all(Array.from({ length: PUBLISHERS }, (_, i) => post(call(action, i, round))));
        for (const a of answers) {
          times[action].push(a.ms);
          if (a.status !== 200 || a.body !== '{"code":0}') {
            wrong += 1;
            if (wrong <= 5) console.error(`load: ${action} answered ${a.status} ${a.body.slice(0, 200)}`);
          }
        }
      }
    }
    // The same hooks one at a time: what one publisher waits without the others' queue.
    const alone = { on_publish: [], on_unpublish: [] };
    for (let i = 0; i < 100; i++) {
      for (const action of ["on_publish", "on_unpublish"]) {
        const a = await post(call(action, i, "alone"));
        alone[action].push(a.ms);
        if (a.status !== 200 || a.body !== '{"code":0}') wrong += 1;
      }
    }
    const row = (name, ms) => {
      const p = percentiles(ms);
      return `| ${name} | ${p.n} | ${p.p50} | ${p.p95} | ${p.p99} | ${p.max} |`;
    };
    console.log(`| SRS hook, ${PUBLISHERS} publishers at once, ${ROUNDS} rounds (${BASE}) | answers | p50 ms | p95 ms | p99 ms | max ms |`);
    console.log("|---|---:|---:|---:|---:|---:|");
    console.log(row("on_publish", times.on_publish));
    console.log(row("on_unpublish", times.on_unpublish));
    console.log(row("on_publish, one at a time", alone.on_publish));
    console.log(row("on_unpublish, one at a time", alone.on_unpublish));
    console.log(`other answers: ${wrong}`);
    return wrong ? 1 : 0;
  } finally {
    await dev.stop();
  }
}
