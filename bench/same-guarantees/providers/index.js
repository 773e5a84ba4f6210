// Every provider livehook speaks, one line each. A provider is a module exporting
// `{id, route, tokenInPath?, secrets, authenticateHeaders?, isProbe?, authenticateBody?, parse}`:
// its records' name, its route (`/webhooks/{route}[/{token}]`), the credentials it reads (each
// may be rotated with a `_NEXT` value), the checks on headers (before the body is read) and on
// the raw body, and `parse(json, receivedAtNs)` (see shape.js for what it returns).
import cloudflare from "./cloudflare.js";
import cloudflareStream from "./cloudflare-stream.js";
import fastpix from "./fastpix.js";
import gcore from "./gcore.js";
import ivs from "./ivs.js";
import livepeer from "./livepeer.js";
import mux from "./mux.js";

export const PROVIDERS = [cloudflare, cloudflareStream, fastpix, gcore, ivs, livepeer, mux];

const byRoute = new Map(PROVIDERS.map((p) => [p.route, p]));

/** The provider behind `/webhooks/{route}`. */
export const providerByRoute = (route) => byRoute.get(route);

/** The provider names records carry (`/streams/{provider}/…`). */
export const PROVIDER_IDS = new Set(PROVIDERS.map((p) => p.id));
