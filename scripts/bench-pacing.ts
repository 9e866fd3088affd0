/**
 * Pacing benchmark: how close the client's real wall-clock time comes to the store quota's
 * floor. N concurrent requests against the emulator at QUOTA per WINDOW_MS; the first window's
 * QUOTA go at once, so the floor is (N/QUOTA − 1) × WINDOW_MS. Goal: zero 429s and a ratio of at
 * most BENCH_PACING_GOAL (1.15) on an otherwise idle machine; exits 1 when missed.
 * The deterministic part (zero 429s, pacing decisions on a fake clock) is in
 * test/bigcommerce/pacing.test.ts.
 *
 *   npm run bench:pacing
 *   BENCH_PACING_REQUESTS=200 BENCH_QUOTA=10 BENCH_WINDOW_MS=1000 BENCH_PACING_GOAL=1.15 npm run bench:pacing
 */
import { performance } from "node:perf_hooks";
import { createBigCommerceClient } from "../src/bigcommerce/client.js";
import { startEmulator } from "../src/emulator/index.js";

const REQUESTS = Number(process.env.BENCH_PACING_REQUESTS ?? 200);
const QUOTA = Number(process.env.BENCH_QUOTA ?? 10);
const WINDOW_MS = Number(process.env.BENCH_WINDOW_MS ?? 1000);
const GOAL = Number(process.env.BENCH_PACING_GOAL ?? 1.15);
const FLOOR_MS = (Math.ceil(REQUESTS / QUOTA) - 1) * WINDOW_MS;

const emulator = await startEmulator({ port: 0, rateQuota: QUOTA, rateWindowMs: WINDOW_MS });
const client = createBigCommerceClient({
  apiUrl: emulator.url,
  storeHash: "paced",
  accessToken: "t",
  // The last caller waits about (REQUESTS/QUOTA − 1) windows; the bound is not what is measured.
  maxWaitMs: FLOOR_MS + 10 * WINDOW_MS,
});
try {
  const started = performance.now();
  await Promise.all(Array.from({ length: REQUESTS }, () => client.customers.list({ limit: 1 })));
  const elapsed = performance.now() - started;
  const tooMany = emulator.requests.filter((r) => r.status === 429).length;
  const ratio = FLOOR_MS > 0 ? elapsed / FLOOR_MS : 1;
  const met = tooMany === 0 && ratio <= GOAL;
  console.log(
    `pacing: ${REQUESTS} requests at ${QUOTA}/${WINDOW_MS} ms in ${(elapsed / 1000).toFixed(2)} s ` +
      `(floor ${(FLOOR_MS / 1000).toFixed(2)} s, ratio ${ratio.toFixed(3)}, goal ≤ ${GOAL}), ${tooMany} × 429, ` +
      `${client.stats().retries} retries: ${met ? "goal met" : "GOAL MISSED"}`,
  );
  process.exitCode = met ? 0 : 1;
} finally {
  await client.close();
  await emulator.close();
}
