/**
 * The harness builds the bridge through the same composition root as main.ts (src/compose.ts),
 * so production settings of the client can be exercised here. BIGCOMMERCE_RATE_RESERVE: the
 * bridge leaves that many requests of each window to the store's other apps.
 */
import request from "supertest";
import { afterEach, describe, expect, it } from "vitest";
import { startBridge, STORE_HASH, type RunningBridge } from "./helpers.js";

const QUOTA = 30;
const RESERVE = 20;
// One window for the whole test, however slowly the machine runs it.
const WINDOW_MS = 600_000;

let b: RunningBridge | undefined;
afterEach(async () => {
  await b?.close();
  b = undefined;
});

async function requestsLeft(running: RunningBridge): Promise<number> {
  const res = await fetch(`${running.emulator.url}/stores/${STORE_HASH}/v3/customers?limit=1`, { headers: { "X-Auth-Token": "other-app" } });
  return Number(res.headers.get("x-rate-limit-requests-left"));
}

describe("composition root shared with main.ts", () => {
  it("honours BIGCOMMERCE_RATE_RESERVE: the bridge stops short of the reserve, the other apps keep it", async () => {
    // Pacing off: this is about the reserve, and with pacing one long window would go slowly.
    b = await startBridge(
      { BIGCOMMERCE_RATE_RESERVE: String(RESERVE), BIGCOMMERCE_MAX_WAIT_MS: "2000", BIGCOMMERCE_PACE_BURST_SHARE: "0" },
      { rateQuota: QUOTA, rateWindowMs: WINDOW_MS },
    );
    const statuses: number[] = [];
    // More SCIM reads than the quota could serve: some must be refused by the bridge itself.
    for (let i = 0; i < QUOTA; i += 1) statuses.push((await request(b.url).get("/scim/v2/Users?count=1").set(b.auth)).status);
    expect(statuses).toContain(200);
    expect(statuses).toContain(429);
    // The store never had to refuse the bridge: it stopped on its own.
    expect(b.upstreamCalls().filter((c) => c.status === 429)).toEqual([]);
    // Another app's request still finds the reserve (minus its own request).
    expect(await requestsLeft(b)).toBe(RESERVE - 1);
  });

  it("without a reserve the bridge may use the whole window", async () => {
    b = await startBridge({ BIGCOMMERCE_MAX_WAIT_MS: "2000", BIGCOMMERCE_PACE_BURST_SHARE: "0" }, { rateQuota: QUOTA, rateWindowMs: WINDOW_MS });
    for (let i = 0; i < QUOTA; i += 1) await request(b.url).get("/scim/v2/Users?count=1").set(b.auth);
    expect(await requestsLeft(b)).toBe(0);
  });

  it("paces by default: a burst of a tenth of the quota, then the quota's own rate, refusing at once what cannot wait", async () => {
    // 300 per 6000 s: a burst of 30, then one call per 20 s, longer than the 1 s wait bound
    // (and than any start-up, however slow the machine).
    const quota = 300;
    b = await startBridge({ BIGCOMMERCE_MAX_WAIT_MS: "1000" }, { rateQuota: quota, rateWindowMs: 10 * WINDOW_MS });
    const statuses: number[] = [];
    while (!statuses.includes(429) && statuses.length < 60) statuses.push((await request(b.url).get("/scim/v2/Users?count=1").set(b.auth)).status);
    expect(statuses.at(-1)).toBe(429);
    expect(b.upstreamCalls().filter((c) => c.status === 429)).toEqual([]);
    // The bridge (start-up included) spent exactly the burst; this check is the other app's one call.
    expect(quota - (await requestsLeft(b)) - 1).toBe(30);
  });
});
