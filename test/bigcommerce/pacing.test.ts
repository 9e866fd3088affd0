/**
 * The governor's promise: 200 requests against a quota of 10 per 1000 ms window. Our own
 * traffic must never collect a 429 nor need a retry. How close the total time comes to the
 * quota's floor ((200/10 − 1) × 1 s) is printed, not asserted: a wall-clock bound fails on a
 * loaded machine (the project's rule); `npm run bench` reports speed.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createBigCommerceClient } from "../../src/bigcommerce/client.js";
import { startEmulator, type RunningEmulator } from "../../src/emulator/index.js";

const QUOTA = 10;
const WINDOW_MS = 1000;
const REQUESTS = 200;
const FLOOR_MS = (REQUESTS / QUOTA - 1) * WINDOW_MS;

let emulator: RunningEmulator;
beforeAll(async () => {
  emulator = await startEmulator({ port: 0, rateQuota: QUOTA, rateWindowMs: WINDOW_MS });
});
afterAll(async () => {
  await emulator.close();
});

describe("pacing against the store quota", () => {
  it(`${REQUESTS} requests at ${QUOTA} per ${WINDOW_MS} ms: zero 429s, no retries`, async () => {
    const client = createBigCommerceClient({
      apiUrl: emulator.url,
      storeHash: "paced",
      accessToken: "t",
      // The test is about pacing, not the wait bound: the last caller waits ~19 windows.
      maxWaitMs: 40_000,
    });
    try {
      const started = performance.now();
      await Promise.all(Array.from({ length: REQUESTS }, () => client.customers.list({ limit: 1 })));
      const elapsed = performance.now() - started;
      const statuses = emulator.requests.map((r) => r.status);
      const tooMany = statuses.filter((s) => s === 429).length;
      console.info(
        `pacing: ${REQUESTS} requests in ${(elapsed / 1000).toFixed(2)} s (floor ${FLOOR_MS / 1000} s, ratio ${(elapsed / FLOOR_MS).toFixed(3)}), ${tooMany} × 429`,
      );
      expect(tooMany).toBe(0);
      expect(statuses).toHaveLength(REQUESTS);
      expect(client.stats().retries).toBe(0);
    } finally {
      await client.close();
    }
  });
});
