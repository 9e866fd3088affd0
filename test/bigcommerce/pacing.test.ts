/**
 * The governor's promise: 200 requests against a quota of 10 per 1000 ms window, with never a
 * 429 for our own traffic. What the tests here assert holds however slowly the machine runs:
 * - the pacing decisions, on a fake clock against a store modelled in the test: zero 429s, at
 *   most the quota in any window, and the last request goes out at the quota's floor,
 *   (200/10 − 1) × 1 s of (fake) time;
 * - against the emulator over real HTTP: zero 429s and zero retries.
 * How close the real wall-clock time comes to the floor is a speed goal, measured by
 * `npm run bench:pacing` (scripts/bench-pacing.ts), not asserted here.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createBigCommerceClient } from "../../src/bigcommerce/client.js";
import { RateGovernor } from "../../src/bigcommerce/governor.js";
import { startEmulator, type RunningEmulator } from "../../src/emulator/index.js";
import { FakeClock } from "./helpers/fake-clock.js";

const QUOTA = 10;
const WINDOW_MS = 1000;
const REQUESTS = 200;
const FLOOR_MS = (REQUESTS / QUOTA - 1) * WINDOW_MS;

/** A store's fixed-window quota on the fake clock, answering with BigCommerce's four headers. */
function modelStore(clock: FakeClock) {
  let start = clock.now();
  let used = 0;
  return (): { status: number; headers: Record<string, string> } => {
    const now = clock.now();
    if (now >= start + WINDOW_MS) {
      start = now;
      used = 0;
    }
    const allowed = used < QUOTA;
    if (allowed) used += 1;
    return {
      status: allowed ? 200 : 429,
      headers: {
        "x-rate-limit-requests-left": String(QUOTA - used),
        "x-rate-limit-time-reset-ms": String(start + WINDOW_MS - now),
        "x-rate-limit-requests-quota": String(QUOTA),
        "x-rate-limit-time-window-ms": String(WINDOW_MS),
      },
    };
  };
}

describe("pacing decisions (fake clock)", () => {
  it(`${REQUESTS} requests at ${QUOTA} per ${WINDOW_MS} ms: zero 429s, ≤ ${QUOTA} per window, the last one at the floor`, async () => {
    const clock = new FakeClock();
    const t0 = clock.now();
    const governor = new RateGovernor({ clock, maxWaitMs: 60_000 });
    const answer = modelStore(clock);
    const sentAt: number[] = [];
    const statuses: number[] = [];
    const all = Promise.all(
      Array.from({ length: REQUESTS }, async () => {
        const permit = await governor.acquire();
        sentAt.push(clock.now() - t0);
        const reply = answer();
        statuses.push(reply.status);
        permit.release(reply);
      }),
    );
    for (let step = 0; step < 2 * (FLOOR_MS / 100) && sentAt.length < REQUESTS; step += 1) await clock.advance(100);
    await all;
    expect(statuses.filter((s) => s === 429)).toHaveLength(0);
    const perWindow = new Map<number, number>();
    for (const at of sentAt) perWindow.set(Math.floor(at / WINDOW_MS), (perWindow.get(Math.floor(at / WINDOW_MS)) ?? 0) + 1);
    expect(Math.max(...perWindow.values())).toBeLessThanOrEqual(QUOTA);
    expect(Math.max(...sentAt)).toBe(FLOOR_MS);
    governor.close();
  });
});

describe("pacing against the emulator (real HTTP)", () => {
  let emulator: RunningEmulator;
  beforeAll(async () => {
    emulator = await startEmulator({ port: 0, rateQuota: QUOTA, rateWindowMs: WINDOW_MS });
  });
  afterAll(async () => {
    await emulator.close();
  });

  // Fewer requests than the bench: enough for several windows, short enough for npm test.
  const SENT = 50;
  it(`${SENT} concurrent requests at ${QUOTA} per ${WINDOW_MS} ms: every one answered, zero 429s, no retries`, async () => {
    const client = createBigCommerceClient({
      apiUrl: emulator.url,
      storeHash: "paced",
      accessToken: "t",
      // About waiting, not the wait bound: on a slow machine the last caller may wait long.
      maxWaitMs: 50_000,
    });
    try {
      await Promise.all(Array.from({ length: SENT }, () => client.customers.list({ limit: 1 })));
      const statuses = emulator.requests.map((r) => r.status);
      expect(statuses.filter((s) => s === 429)).toHaveLength(0);
      expect(statuses).toHaveLength(SENT);
      expect(client.stats().retries).toBe(0);
    } finally {
      await client.close();
    }
  });
});
