/**
 * Quota isolation between tenants (issue 20): two tenants of one process, each on its own store of
 * one emulator with its own quota. Tenant "quiet" looks users up at a steady pace, first alone,
 * then while tenant "bulk" saturates its own store's quota with a bulk load. Each store has its own
 * quota and each tenant its own client and governor, so quiet's lookups should answer at their idle
 * speed. A figure, not a verdict (CONTRIBUTING: speed goals are bench figures).
 *
 *   npm run bench:tenants
 *
 * Settings (environment): BENCH_LOOKUPS (40), BENCH_LOOKUP_EVERY_MS (400), BENCH_BULK_USERS (3000, the most it may create),
 * BENCH_CONCURRENCY (20), BENCH_LATENCY_MS (40), BENCH_QUOTA (12), BENCH_WINDOW_MS (3000).
 */
import { monitorEventLoopDelay, performance } from "node:perf_hooks";
import { startTenants, tenantEntry, tenantToken } from "../src/dev/tenants-harness.js";

const LOOKUPS = Number(process.env.BENCH_LOOKUPS ?? 40);
const EVERY_MS = Number(process.env.BENCH_LOOKUP_EVERY_MS ?? 400);
const BULK_USERS = Number(process.env.BENCH_BULK_USERS ?? 3000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 20);
const LATENCY = Number(process.env.BENCH_LATENCY_MS ?? 40);
const QUOTA = Number(process.env.BENCH_QUOTA ?? 12);
const WINDOW = Number(process.env.BENCH_WINDOW_MS ?? 3000);
const CORE = "urn:ietf:params:scim:schemas:core:2.0:User";
const SEEDED = 20;

const user = (email: string) => ({ schemas: [CORE], userName: email, name: { givenName: "Bench", familyName: "User" }, emails: [{ value: email, primary: true }], active: true });

async function call(url: string, token: string, init: { method?: string; body?: unknown } = {}): Promise<{ status: number; ms: number }> {
  const started = performance.now();
  const res = await fetch(url, {
    method: init.method ?? "GET",
    headers: { Authorization: `Bearer ${token}`, ...(init.body ? { "Content-Type": "application/scim+json" } : {}) },
    ...(init.body ? { body: JSON.stringify(init.body) } : {}),
  });
  await res.arrayBuffer();
  return { status: res.status, ms: performance.now() - started };
}

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
};
const summary = (ms: number[]) => `median ${percentile(ms, 50).toFixed(0)} ms, p95 ${percentile(ms, 95).toFixed(0)} ms, max ${Math.max(...ms).toFixed(0)} ms`;

async function main(): Promise<void> {
  const run = await startTenants((emulator) => ({ tenants: [tenantEntry(emulator, "quiet"), tenantEntry(emulator, "bulk")] }), {
    // Seeding at an unlimited quota; the measured phases run at BENCH_QUOTA per BENCH_WINDOW_MS per store.
    emulator: { rateQuota: 100_000, rateWindowMs: WINDOW },
  });
  try {
    const quiet = `${run.url}/t/quiet/scim/v2`;
    for (let i = 0; i < SEEDED; i++) {
      const r = await call(`${quiet}/Users`, tenantToken("quiet"), { method: "POST", body: user(`quiet.${i}@bench.example`) });
      if (r.status !== 201) throw new Error(`seeding quiet: ${r.status}`);
    }
    run.emulator.setOptions({ rateQuota: QUOTA, rateWindowMs: WINDOW, latencyMs: LATENCY });

    // The process's event loop delay, to tell a tenant's own quota from the process being busy.
    const lookups = async (): Promise<{ ms: number[]; failed: number; loopP95Ms: number }> => {
      const loop = monitorEventLoopDelay({ resolution: 10 });
      loop.enable();
      const ms: number[] = [];
      let failed = 0;
      for (let i = 0; i < LOOKUPS; i++) {
        const next = performance.now() + EVERY_MS;
        const filter = encodeURIComponent(`userName eq "quiet.${i % SEEDED}@bench.example"`);
        const r = await call(`${quiet}/Users?filter=${filter}`, tenantToken("quiet"));
        if (r.status === 200) ms.push(r.ms);
        else failed += 1;
        await new Promise((resolve) => setTimeout(resolve, Math.max(0, next - performance.now())));
      }
      loop.disable();
      return { ms, failed, loopP95Ms: loop.percentile(95) / 1e6 };
    };

    const idle = await lookups();
    // A new window for the loaded phase, so the idle phase's calls do not count against it.
    await new Promise((resolve) => setTimeout(resolve, WINDOW));

    /** A bulk load through `tenant` while quiet's lookups run: the lookups' figures and the load's. */
    const underLoad = async (tenant: "bulk" | "quiet") => {
      const base = `${run.url}/t/${tenant}/scim/v2`;
      const hash = `/stores/${tenant}store/`;
      let created = 0;
      let refused = 0;
      let next = 0;
      let loading = true;
      const started = performance.now();
      const worker = async () => {
        while (loading && next < BULK_USERS) {
          const i = next++;
          const r = await call(`${base}/Users`, tenantToken(tenant), { method: "POST", body: user(`${tenant}.bulk.${i}.${Math.round(started)}@bench.example`) });
          if (r.status === 201) created += 1;
          else refused += 1;
        }
      };
      const workers = Array.from({ length: CONCURRENCY }, worker);
      // Let the bulk load use up its store's first window before measuring.
      await new Promise((resolve) => setTimeout(resolve, Math.min(WINDOW, 1_000)));
      const callsBefore = run.emulator.requests.filter((r) => r.path.startsWith(hash)).length;
      const measuredFrom = performance.now();
      const figures = await lookups();
      const seconds = (performance.now() - measuredFrom) / 1000;
      const calls = run.emulator.requests.filter((r) => r.path.startsWith(hash)).length - callsBefore;
      loading = false;
      await Promise.all(workers);
      return { ...figures, created, refused, seconds: (performance.now() - started) / 1000, callRate: calls / seconds };
    };
    const loaded = await underLoad("bulk");
    await new Promise((resolve) => setTimeout(resolve, WINDOW));
    // The baseline isolation avoids: the same load through quiet's own store, quota and governor.
    const shared = await underLoad("quiet");
    const bulk429 = run.emulator.requests.filter((r) => r.status === 429).length;

    const quotaRate = QUOTA / (WINDOW / 1000);
    const line = (name: string, f: { ms: number[]; failed: number; loopP95Ms: number }) =>
      `  ${name.padEnd(44)}${summary(f.ms)}${f.failed ? `, ${f.failed} failed` : ""}; event loop delay p95 ${f.loopP95Ms.toFixed(0)} ms`;
    const load = (f: { created: number; refused: number; seconds: number; callRate: number }) =>
      `${f.created} users created (${f.refused} refused) in ${f.seconds.toFixed(1)} s by ${CONCURRENCY} clients, ${f.callRate.toFixed(1)} calls/s to the store while measured`;
    process.stdout.write(
      [
        `quota per store: ${QUOTA} requests per ${WINDOW} ms (${quotaRate.toFixed(1)}/s), emulator latency ${LATENCY} ms`,
        `quiet tenant, ${LOOKUPS} lookups (GET /Users?filter=userName eq ...) every ${EVERY_MS} ms:`,
        line("idle:", idle),
        line("while bulk saturates its own store:", loaded),
        line("while the same load goes to quiet's store:", shared),
        `  loaded/idle median: ${(percentile(loaded.ms, 50) / percentile(idle.ms, 50)).toFixed(2)} (own store: ${(percentile(shared.ms, 50) / percentile(idle.ms, 50)).toFixed(2)})`,
        `bulk load on bulk's store: ${load(loaded)}`,
        `same load on quiet's store: ${load(shared)}`,
        `429 answers from the emulator, all stores: ${bulk429}`,
        "",
      ].join("\n"),
    );
  } finally {
    await run.close();
  }
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
