/**
 * Benchmark: provisions users through the bridge against the emulator with BigCommerce's real
 * quota (150 requests per 30 s by default) and latency, the way an IdP would (honouring
 * 429 Retry-After), then imports, looks up and deactivates them. Prints figures, not verdicts.
 *
 *   BENCH_USERS=1000 BENCH_CONCURRENCY=20 BENCH_LATENCY_MS=100 npm run bench
 *   (also BENCH_QUOTA, BENCH_WINDOW_MS, and BIGCOMMERCE_MAX_WAIT_MS for the bridge)
 */
import { performance } from "node:perf_hooks";
import { startBridge } from "../src/dev/bridge-harness.js";

const USERS = Number(process.env.BENCH_USERS ?? 1000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 20);
const LATENCY = Number(process.env.BENCH_LATENCY_MS ?? 100);
const QUOTA = Number(process.env.BENCH_QUOTA ?? 150);
const WINDOW = Number(process.env.BENCH_WINDOW_MS ?? 30_000);

const bridge = await startBridge(
  { LOG_LEVEL: "silent", ...(process.env.BIGCOMMERCE_MAX_WAIT_MS ? { BIGCOMMERCE_MAX_WAIT_MS: process.env.BIGCOMMERCE_MAX_WAIT_MS } : {}) },
  { rateQuota: QUOTA, rateWindowMs: WINDOW, latencyMs: LATENCY },
);
const base = `${bridge.url}/scim/v2`;
const headers = { ...bridge.auth, "Content-Type": "application/scim+json" };
let scim429 = 0;

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; json: any; ms: number }> {
  for (;;) {
    const t0 = performance.now();
    const res = await fetch(`${base}${path}`, { method, headers, ...(body ? { body: JSON.stringify(body) } : {}) });
    const text = await res.text();
    const ms = performance.now() - t0;
    if (res.status === 429) {
      scim429++;
      await new Promise((r) => setTimeout(r, Number(res.headers.get("retry-after") ?? 1) * 1000));
      continue;
    }
    return { status: res.status, json: text ? JSON.parse(text) : null, ms };
  }
}

async function pool<T>(items: T[], work: (item: T) => Promise<number>): Promise<number[]> {
  const latencies: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < items.length) latencies.push(await work(items[next++]!));
    }),
  );
  return latencies.sort((a, b) => a - b);
}

const pct = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!.toFixed(0);
function upstream() {
  const log = bridge.emulator.requests;
  const by = new Map<string, number>();
  for (const r of log) {
    const key = `${r.method} ${r.path.replace(/^\/stores\/[^/]+/, "")}`;
    by.set(key, (by.get(key) ?? 0) + 1);
  }
  return { total: log.length, upstream429: log.filter((r) => r.status === 429).length, by: Object.fromEntries(by) };
}
function report(phase: string, started: number, latencies: number[], ops: number) {
  const secs = (performance.now() - started) / 1000;
  const u = upstream();
  console.log(
    `${phase}: ${ops} operations in ${secs.toFixed(1)} s (${(ops / secs).toFixed(1)}/s); SCIM latency p50 ${pct(latencies, 50)} ms p95 ${pct(latencies, 95)} ms; ` +
      `BigCommerce calls ${u.total} (${(u.total / ops).toFixed(2)} per operation), 429s from BigCommerce ${u.upstream429}, SCIM 429s ${scim429}; ${JSON.stringify(u.by)}`,
  );
  bridge.emulator.clearRequests();
  scim429 = 0;
}

console.log(`bench: ${USERS} users, concurrency ${CONCURRENCY}, emulator latency ${LATENCY} ms, quota ${QUOTA} per ${WINDOW} ms`);
const memBefore = process.memoryUsage().rss;
const emails = Array.from({ length: USERS }, (_, i) => `bench${i}@example.test`);
const ids: string[] = [];

let t = performance.now();
let lat = await pool(emails, async (email) => {
  const r = await call("POST", "/Users", {
    schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"],
    userName: email,
    externalId: `ext-${email}`,
    name: { givenName: "Bench", familyName: "User" },
    emails: [{ value: email, type: "work", primary: true }],
    active: true,
  });
  if (r.status !== 201) throw new Error(`create ${email}: ${r.status} ${JSON.stringify(r.json)}`);
  ids.push(r.json.id);
  return r.ms;
});
report("create", t, lat, USERS);

t = performance.now();
const pages = Array.from({ length: Math.ceil(USERS / 100) }, (_, i) => i * 100 + 1);
lat = await pool(pages, async (start) => (await call("GET", `/Users?startIndex=${start}&count=100`)).ms);
report("import (pages of 100)", t, lat, pages.length);

t = performance.now();
const sample = emails.slice(0, Math.min(200, USERS));
lat = await pool(sample, async (email) => (await call("GET", `/Users?filter=${encodeURIComponent(`userName eq "${email}"`)}`)).ms);
report("lookup userName eq", t, lat, sample.length);

t = performance.now();
const toDeactivate = ids.slice(0, Math.min(200, ids.length));
lat = await pool(toDeactivate, async (id) =>
  (await call("PATCH", `/Users/${id}`, { schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], Operations: [{ op: "replace", value: { active: false } }] })).ms,
);
report("deactivate (PATCH)", t, lat, toDeactivate.length);

console.log(`bench: rss grew ${((process.memoryUsage().rss - memBefore) / 1048576).toFixed(0)} MiB (bridge, emulator and client in one process)`);
await bridge.close();
