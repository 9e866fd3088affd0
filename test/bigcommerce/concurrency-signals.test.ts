/**
 * An endpoint's concurrency slots taken with a long-lived signal (a batch lane passes its close
 * signal, which lives as long as the client: batch-lane.ts) leave nothing on that signal, however
 * the wait ends: granted at once, granted after waiting, given up at its deadline.
 */
import { getEventListeners } from "node:events";
import { describe, expect, it } from "vitest";
import { boundedSlots, Semaphore } from "../../src/bigcommerce/concurrency.js";
import { RequestBudgetSpentError } from "../../src/bigcommerce/deadline.js";
import { FakeClock } from "./helpers/fake-clock.js";

/**
 * The signals Node keeps as dependants of `signal` (each AbortSignal.any made with it), by
 * Node's own internal record; 0 where there is none.
 */
function dependants(signal: AbortSignal): number {
  const key = Object.getOwnPropertySymbols(signal).find((s) => s.description === "kDependantSignals");
  const set = key === undefined ? undefined : (signal as unknown as Record<symbol, Set<unknown> | undefined>)[key];
  return set?.size ?? 0;
}

describe("concurrency slots and a long-lived signal", () => {
  it("keep neither listeners nor dependent signals on it after many calls", async () => {
    const clock = new FakeClock();
    const slots = boundedSlots(new Semaphore(1), clock, "test");
    const closing = new AbortController();
    const calls = 200;
    for (let i = 0; i < calls; i++) {
      // Free at once.
      (await slots.acquire(clock.now() + 1_000, closing.signal))();
      // Granted after waiting for the one before it.
      const held = await slots.acquire(clock.now() + 1_000, closing.signal);
      const waiting = slots.acquire(clock.now() + 1_000, closing.signal);
      held();
      (await waiting)();
      // Given up at its deadline.
      const holder = await slots.acquire(clock.now() + 1_000, closing.signal);
      const late = slots.acquire(clock.now() + 10, closing.signal);
      const refused = expect(late).rejects.toBeInstanceOf(RequestBudgetSpentError);
      await clock.advance(10);
      await refused;
      holder();
    }
    expect(getEventListeners(closing.signal, "abort")).toHaveLength(0);
    // With AbortSignal.any, one per call, for as long as the client lives (on Node 20 even after GC).
    expect(dependants(closing.signal)).toBe(0);
  });

  it("a wait still ends when the long-lived signal aborts, with its reason, and the slot goes to the next caller", async () => {
    const clock = new FakeClock();
    const semaphore = new Semaphore(1);
    const slots = boundedSlots(semaphore, clock, "test");
    const closing = new AbortController();
    const held = await slots.acquire(clock.now() + 1_000, closing.signal);
    const waiting = slots.acquire(clock.now() + 1_000, closing.signal);
    const other = slots.acquire(clock.now() + 1_000);
    const reason = new Error("batch lane closed");
    closing.abort(reason);
    await expect(waiting).rejects.toBe(reason);
    held();
    (await other)();
    expect(semaphore.inUse).toBe(0);
  });
});
