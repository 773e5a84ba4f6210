// RFC 3339 times as nanoseconds since the epoch (BigInt), as livehook orders them: providers send
// anywhere from 0 to 9 fractional digits (Cloudflare nanoseconds), and a Number would round them.
// Formatting prints UTC with `Z` and the shortest exact fraction of 0, 3, 6 or 9 digits.

const NS_PER_SEC = 1_000_000_000n;
const I64_MAX = (1n << 63n) - 1n;
const RFC3339 = /^(\d{4})-(\d\d)-(\d\d)[Tt ](\d\d):(\d\d):(\d\d)(?:\.(\d+))?(?:([Zz])|([+-])(\d\d):(\d\d))$/;

const isLeap = (y) => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
const daysInMonth = (y, m) => (m === 2 ? (isLeap(y) ? 29 : 28) : [4, 6, 9, 11].includes(m) ? 30 : 31);

// Howard Hinnant's days_from_civil (exact for every year, unlike Date.UTC for years below 100).
function daysFromCivil(y, m, d) {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * ((m + 9) % 12) + 2) / 5) + d - 1;
  return era * 146_097 + yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy - 719_468;
}

/** `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)` → BigInt nanoseconds, or `undefined`. */
export function parseRfc3339(s) {
  if (typeof s !== "string") return undefined;
  const m = RFC3339.exec(s);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  // 60 is a leap second, folded into the next second's start.
  if (hour > 23 || minute > 59 || second > 60) return undefined;
  let offset = 0;
  if (m[9]) {
    const oh = Number(m[10]);
    const om = Number(m[11]);
    if (oh > 23 || om > 59) return undefined;
    offset = (m[9] === "+" ? 1 : -1) * (oh * 3600 + om * 60);
  }
  const frac = m[7] ? BigInt(m[7].slice(0, 9).padEnd(9, "0")) : 0n;
  const secs = daysFromCivil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second - offset;
  const ns = BigInt(secs) * NS_PER_SEC + frac;
  return ns > I64_MAX || ns < -I64_MAX - 1n ? undefined : ns;
}

/** BigInt nanoseconds → `YYYY-MM-DDTHH:MM:SS[.fff|.ffffff|.fffffffff]Z`. */
export function formatRfc3339(ns) {
  let secs = ns / NS_PER_SEC;
  let frac = ns % NS_PER_SEC;
  if (frac < 0n) {
    frac += NS_PER_SEC;
    secs -= 1n;
  }
  const base = new Date(Number(secs) * 1000).toISOString().slice(0, 19);
  if (frac === 0n) return `${base}Z`;
  const f = String(frac).padStart(9, "0");
  if (frac % 1_000_000n === 0n) return `${base}.${f.slice(0, 3)}Z`;
  if (frac % 1_000n === 0n) return `${base}.${f.slice(0, 6)}Z`;
  return `${base}.${f}Z`;
}

export const msToNanos = (ms) => BigInt(ms) * 1_000_000n;

/** Milliseconds → RFC 3339 (the receipt times livehook stamps). */
export const formatMs = (ms) => formatRfc3339(msToNanos(ms));
