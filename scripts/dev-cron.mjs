// `npm run dev`'s Cron Trigger. Locally, wrangler dev does not fire wrangler.toml's crons by
// itself; this fires the worker's scheduled handler every minute through the route
// `--test-scheduled` opens, as Cloudflare would: a reconcile pass over the providers' APIs
// (docs/reconcile.md), which returns at once when none has credentials. It stops once its
// parent (scripts/dev.sh, which becomes wrangler dev) is gone.
const port = process.env.PORT ?? "8787";
const parent = process.ppid;
const url = `http://127.0.0.1:${port}/__scheduled?cron=${encodeURIComponent("* * * * *")}`;

setInterval(async () => {
  if (process.ppid !== parent) process.exit(0);
  try {
    const res = await fetch(url);
    await res.body?.cancel();
  } catch {
    // wrangler dev is starting, rebuilding or gone: the next minute tries again.
  }
}, 60_000);
