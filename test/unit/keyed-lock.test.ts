import { describe, expect, it } from "vitest";
import { runWithDeadline } from "../../src/bigcommerce/deadline.js";
import { KeyedLock } from "../../src/scim/keyed-lock.js";
import { LockBusyError } from "../../src/shared-state/errors.js";
import { FakeClock } from "../bigcommerce/helpers/fake-clock.js";

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("KeyedLock", () => {
  it("runs work for one key in order, other keys in parallel, and survives failures", async () => {
    const lock = new KeyedLock();
    const log: string[] = [];
    const job = (key: string, name: string, ms: number, fail = false) =>
      lock.run(key, async () => {
        log.push(`start ${name}`);
        await tick(ms);
        log.push(`end ${name}`);
        if (fail) throw new Error(name);
        return name;
      });
    const results = await Promise.allSettled([job("u1", "a", 20, true), job("u1", "b", 1), job("u2", "c", 5)]);
    expect(results.map((r) => r.status)).toEqual(["rejected", "fulfilled", "fulfilled"]);
    expect(log.indexOf("end a")).toBeLessThan(log.indexOf("start b"));
    expect(log.indexOf("start c")).toBeLessThan(log.indexOf("end a"));
  });

  /** Key "7" held by a write that runs until released, and a second caller that gave up waiting for it. */
  async function heldKeyAfterOneGaveUp() {
    const clock = new FakeClock();
    const lock = new KeyedLock(clock);
    let release: () => void = () => {};
    const holder = lock.run("7", () => new Promise<void>((resolve) => (release = resolve)));
    const gaveUp = runWithDeadline({ at: clock.now() + 1_000, hardAt: clock.now() + 2_000 }, () => lock.run("7", async () => "never"));
    const refused = expect(gaveUp).rejects.toBeInstanceOf(LockBusyError);
    await clock.advance(1_000);
    await refused;
    return { clock, lock, holder, releaseHolder: () => release() };
  }

  it("a caller that gave up waiting does not free the key while the holder still runs: the next caller waits for the holder", async () => {
    const { clock, lock, holder, releaseHolder } = await heldKeyAfterOneGaveUp();
    let nextStarted = false;
    const next = lock.run("7", async () => {
      nextStarted = true;
    });
    await clock.advance(0);
    // Two writes to one user must never interleave.
    expect(nextStarted).toBe(false);
    releaseHolder();
    await holder;
    await next;
    expect(nextStarted).toBe(true);
  });

  it("forgets a key once its last turn is over, also after a caller gave up", async () => {
    const { clock, lock, holder, releaseHolder } = await heldKeyAfterOneGaveUp();
    releaseHolder();
    await holder;
    await clock.advance(0);
    expect((lock as unknown as { tails: Map<string, unknown> }).tails.size).toBe(0);
  });
});
