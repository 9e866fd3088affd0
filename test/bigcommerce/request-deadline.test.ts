/**
 * One deadline per SCIM request (src/bigcommerce/deadline.ts): every wait takes the smaller of
 * its own bound and the time the request has left. The lock wait and the quota wait on the fake
 * clock (exact), the upstream exchange against a scripted server that answers too late.
 */
import { afterEach, describe, expect, it } from "vitest";
import { createBigCommerceClient } from "../../src/bigcommerce/client.js";
import { runWithDeadline, RequestBudgetSpentError } from "../../src/bigcommerce/deadline.js";
import { RateLimitedError } from "../../src/bigcommerce/errors.js";
import { KeyedLock } from "../../src/scim/keyed-lock.js";
import { LockBusyError } from "../../src/shared-state/errors.js";
import { FakeClock } from "./helpers/fake-clock.js";
import { rate } from "./helpers/rate-headers.js";
import { json, page, scriptedServer, type Handler } from "./helpers/scripted-server.js";
import { track } from "./helpers/track.js";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

const within = (clock: { now(): number }, ms: number) => ({ at: clock.now() + ms, hardAt: clock.now() + ms + 4_000 });

async function client(handler: Handler, options: { clock?: FakeClock; requestTimeoutMs?: number } = {}) {
  const server = await scriptedServer(handler);
  const c = createBigCommerceClient({
    apiUrl: server.url,
    storeHash: "abc123",
    accessToken: "token",
    requestTimeoutMs: options.requestTimeoutMs ?? 15_000,
    maxWaitMs: 32_000,
    paceBurstShare: 0,
    random: () => 1,
    ...(options.clock ? { clock: options.clock } : {}),
  });
  cleanups.push(() => server.close(), () => c.close());
  return { server, client: c };
}

describe("the per-user lock wait reads the request's deadline", () => {
  it("a writer queued behind a slow one gives up at its deadline (503 LockBusy), and its work never runs", async () => {
    const clock = new FakeClock();
    const lock = new KeyedLock(clock);
    let releaseFirst: () => void = () => {};
    const first = track(lock.run("7", () => new Promise<string>((resolve) => (releaseFirst = () => resolve("first")))));
    let secondRan = false;
    const second = track(
      runWithDeadline(within(clock, 5_000), () =>
        lock.run("7", async () => {
          secondRan = true;
          return "second";
        }),
      ),
    );
    await clock.advance(4_999);
    expect(second.settled).toBe(false);
    await clock.advance(1);
    expect(second.error).toBeInstanceOf(LockBusyError);
    expect((second.error as LockBusyError).retryAfterMs).toBeGreaterThan(0);

    // The first finishes later: the second's work does not run for a caller that has left.
    releaseFirst();
    await clock.advance(0);
    expect(first.value).toBe("first");
    expect(secondRan).toBe(false);
    // The key is free again for the next writer.
    await expect(lock.run("7", async () => "third")).resolves.toBe("third");
  });

  it("a writer whose turn comes in time runs, whatever its deadline left", async () => {
    const clock = new FakeClock();
    const lock = new KeyedLock(clock);
    let releaseFirst: () => void = () => {};
    void lock.run("7", () => new Promise<void>((resolve) => (releaseFirst = resolve)));
    const second = track(runWithDeadline(within(clock, 5_000), () => lock.run("7", async () => "second")));
    await clock.advance(4_000);
    releaseFirst();
    await clock.advance(0);
    expect(second.value).toBe("second");
  });
});

describe("the quota wait reads the request's deadline", () => {
  it("a call whose quota slot comes after the request's deadline is refused at once (429), not after its own 32 s bound", async () => {
    const clock = new FakeClock();
    // The store's window is spent for the next 30 s (within the client's own 32 s wait bound).
    const { server, client: c } = await client((_req, res) => json(res, 200, page([]), rate(0, 30_000, 150, 30_000)), { clock });
    await c.customers.list({ limit: 1 });

    const bounded = track(runWithDeadline(within(clock, 5_000), () => c.customers.list({ limit: 1 })));
    const unbounded = track(c.customers.list({ limit: 1 }));
    await clock.advance(0);
    expect(bounded.error).toBeInstanceOf(RateLimitedError);
    expect((bounded.error as RateLimitedError).retryAfterMs).toBeGreaterThan(5_000);
    // Without a request deadline the call keeps its own bound: it waits for the window's reset.
    expect(unbounded.settled).toBe(false);
    expect(server.requests).toHaveLength(1);
    await clock.advance(30_000);
    await unbounded.promise;
  });
});

describe("an upstream call's timeout reads the request's deadline", () => {
  it("a read BigCommerce answers after the deadline is cut there: RequestBudgetSpentError (503), not a 15 s timeout", async () => {
    const { server, client: c } = await client((_req, res) => {
      setTimeout(() => json(res, 200, page([])), 20_000).unref();
    });
    const started = Date.now();
    const read = runWithDeadline({ at: started + 300, hardAt: started + 1_000 }, () => c.customers.list({ limit: 1 }));
    await expect(read).rejects.toBeInstanceOf(RequestBudgetSpentError);
    expect(server.requests).toHaveLength(1);
  });

  it("a call asked for after the deadline sends nothing", async () => {
    const { server, client: c } = await client((_req, res) => json(res, 200, page([])));
    const read = runWithDeadline({ at: Date.now() - 1, hardAt: Date.now() + 1_000 }, () => c.customers.list({ limit: 1 }));
    await expect(read).rejects.toBeInstanceOf(RequestBudgetSpentError);
    expect(server.requests).toHaveLength(0);
  });
});
