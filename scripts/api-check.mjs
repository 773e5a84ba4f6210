// `npm run api:check`: the OpenAPI document (board/openapi.json) through two tools its users run,
// both from PyPI (`pip install schemathesis openapi-spec-validator`):
//   openapi-spec-validator board/openapi.json
//   st run http://127.0.0.1:<port>/openapi.json --checks all -H "Authorization: Bearer <STATUS_API_TOKEN>"
// Schemathesis runs against a local worker that this script starts (`npm run dev`: wrangler dev
// with .dev.vars, made from .dev.vars.example when missing) on a free port, with its state in a
// temporary directory, so what the run creates (subscriptions) never lands in your dev state.
// Before the run, one signed Cloudflare webhook makes a stream and an alert, whose ids the run
// uses for the routes that read one. The webhook routes get no credentials: they answer 401, as
// documented. schemathesis.toml holds the rest; arguments after `--` go to `st run`.
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const say = (line) => console.error(`api:check: ${line}`);

function installed(cmd) {
  return spawnSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" }).status === 0;
}

if (!installed("st")) {
  say("Schemathesis is not installed: pip install schemathesis openapi-spec-validator");
  process.exit(1);
}

if (installed("openapi-spec-validator")) {
  const v = spawnSync("openapi-spec-validator", [path.join(root, "board/openapi.json")], { stdio: "inherit" });
  if (v.status !== 0) process.exit(1);
} else {
  say("openapi-spec-validator is not installed (pip install openapi-spec-validator): its check is left out");
}

const freePort = () =>
  new Promise((resolve, reject) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on("error", reject);
  });

/** KEY=VALUE lines of .dev.vars. */
function devVars() {
  const vars = {};
  for (const line of readFileSync(path.join(root, ".dev.vars"), "utf8").split("\n")) {
    const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (m) vars[m[1]] = m[2].replace(/^"(.*)"$/, "$1");
  }
  return vars;
}

const port = await freePort();
const state = mkdtempSync(path.join(tmpdir(), "livehook-api-check-"));
const base = `http://127.0.0.1:${port}`;
say(`starting a local worker on ${base} (state in ${state})`);
const dev = spawn("bash", ["scripts/dev.sh", "--persist-to", state], {
  cwd: root,
  env: { ...process.env, PORT: String(port) },
  stdio: ["ignore", "ignore", "inherit"],
  detached: true,
});
let stopping = false;
const stop = () => {
  stopping = true;
  try {
    process.kill(-dev.pid, "SIGTERM");
  } catch {}
  rmSync(state, { recursive: true, force: true });
};
dev.on("exit", (code) => {
  if (!stopping) {
    say(`the local worker stopped (exit ${code})`);
    process.exit(1);
  }
});
process.on("SIGINT", () => {
  stop();
  process.exit(130);
});

let status = 1;
try {
  const deadline = Date.now() + 300_000;
  for (;;) {
    const up = await fetch(`${base}/healthz`).then((r) => r.ok, () => false);
    if (up) break;
    if (Date.now() > deadline) throw new Error("the local worker did not answer /healthz within 5 minutes");
    await new Promise((r) => setTimeout(r, 1000));
  }
  const vars = devVars();
  for (const name of ["STATUS_API_TOKEN", "CF_WEBHOOK_SECRET"]) {
    if (!vars[name]) throw new Error(`.dev.vars has no ${name} (see .dev.vars.example)`);
  }
  const auth = { Authorization: `Bearer ${vars.STATUS_API_TOKEN}` };

  // A stream and an alert for the routes that read one: an errored Cloudflare live input.
  const input = randomBytes(16).toString("hex");
  const at = new Date().toISOString();
  const hook = await fetch(`${base}/webhooks/cloudflare`, {
    method: "POST",
    headers: { "Content-Type": "application/json", "cf-webhook-auth": vars.CF_WEBHOOK_SECRET },
    body: JSON.stringify({
      name: "api:check",
      text: `Input ID: ${input}`,
      data: {
        notification_name: "Stream Live Input",
        input_id: input,
        event_type: "live_input.errored",
        updated_at: at,
        live_input_errored: { error: { code: "ERR_GOP_OUT_OF_RANGE", message: "Keyframe interval too long" }, video_codec: "", audio_codec: "" },
      },
      ts: Math.floor(Date.parse(at) / 1000),
    }),
  });
  if (hook.status !== 200) throw new Error(`the seed webhook got ${hook.status}: ${await hook.text()}`);
  let alert;
  for (let i = 0; i < 50 && !alert; i++) {
    const list = await (await fetch(`${base}/alerts?stream=cloudflare:live_input:${input}`, { headers: auth })).json();
    alert = list.alerts?.[0]?.id;
    if (!alert) await new Promise((r) => setTimeout(r, 100));
  }
  if (!alert) throw new Error("the seed webhook made no alert");

  // schemathesis.toml, plus the seeded ids for the routes that read a stream or an alert.
  const config = path.join(state, "schemathesis.toml");
  writeFileSync(
    config,
    [
      readFileSync(path.join(root, "schemathesis.toml"), "utf8"),
      "# Seeded by scripts/api-check.mjs.",
      "[[operations]]",
      'include-path-regex = "^/streams/\\\\{provider\\\\}/\\\\{stream_id\\\\}"',
      `parameters = { "path.provider" = "cloudflare", "path.stream_id" = "${input}" }`,
      "",
      "[[operations]]",
      'include-path-regex = "^/alerts/\\\\{id\\\\}"',
      `parameters = { "path.id" = "${alert}" }`,
      "",
    ].join("\n"),
  );
  say(`seeded stream cloudflare:live_input:${input} and alert ${alert}; running Schemathesis`);
  const args = ["--config-file", config, "run", `${base}/openapi.json`, "--checks", "all", "-H", `Authorization: Bearer ${vars.STATUS_API_TOKEN}`, ...process.argv.slice(2)];
  const st = spawnSync("st", args, { cwd: root, stdio: "inherit" });
  status = st.status ?? 1;
} catch (e) {
  say(e.message);
} finally {
  stop();
}
process.exit(status);
