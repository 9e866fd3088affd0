import { describe, expect, it } from "vitest";
import { BatchLane } from "../../src/bigcommerce/batch-lane.js";
import type { Clock } from "../../src/bigcommerce/clock.js";

/** A clock whose timers fire a few milliseconds early, as Node's occasionally do. */
function earlyClock(earlyByMs: number): Clock & { t: number } {
  const clock = {
    t: 1_000_000,
    now: () => clock.t,
    sleep: async (ms: number) => {
      await new Promise((r) => setImmediate(r));
      clock.t += Math.max(1, ms - earlyByMs);
    },
  };
  return clock;
}

describe("BatchLane.wakeAt", () => {
  it("flushes at the time asked even when the timer fires early", async () => {
    const clock = earlyClock(5);
    const blockedUntil = clock.t + 300;
    const sent: number[][] = [];
    const lane = new BatchLane<number>({
      clock,
      windowMs: 0,
      maxInFlight: 1,
      // The item is held back until its block ends, as the update lane does after a timeout.
      pick: (queue) => (clock.now() >= blockedUntil ? queue.splice(0) : []),
      run: async (batch) => {
        sent.push(batch);
      },
    });
    lane.add(7);
    lane.wakeAt(blockedUntil);
    for (let i = 0; i < 50 && sent.length === 0; i++) await new Promise((r) => setImmediate(r));
    expect(sent).toEqual([[7]]);
    expect(clock.now()).toBeGreaterThanOrEqual(blockedUntil);
    lane.close();
  });
});
