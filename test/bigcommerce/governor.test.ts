import { describe, expect, it } from "vitest";
import { RateLimitedError } from "../../src/bigcommerce/errors.js";
import { RateGovernor, type Permit } from "../../src/bigcommerce/governor.js";
import { FakeClock, settle } from "./helpers/fake-clock.js";
import { track } from "./helpers/track.js";
import { rate } from "./helpers/rate-headers.js";


function setup(options: ConstructorParameters<typeof RateGovernor>[0] = {}) {
  const clock = new FakeClock();
  const governor = new RateGovernor({ clock, maxWaitMs: 60_000, ...options });
  return { clock, governor };
}

/** Acquires and immediately releases with the given response (one request's round trip). */
async function roundTrip(governor: RateGovernor, headers: Record<string, string>, status = 200): Promise<void> {
  const permit = await governor.acquire();
  permit.release({ status, headers });
}

describe("RateGovernor", () => {
  it("lets a single probe through before it has seen any response", async () => {
    const { governor } = setup();
    const first = track(governor.acquire());
    const second = track(governor.acquire());
    await settle();
    expect(first.settled).toBe(true);
    expect(second.settled).toBe(false);
    (first.value as Permit).release({ status: 200, headers: rate(9, 1000) });
    await settle();
    expect(second.settled).toBe(true);
    expect(governor.state()).toMatchObject({ learned: true, quota: 10, left: 9, inFlight: 1 });
  });

  it("paces: spends what is left in the window, then waits for the reset", async () => {
    const { clock, governor } = setup();
    await roundTrip(governor, rate(9, 1000));
    const permits = await Promise.all(Array.from({ length: 9 }, () => governor.acquire()));
    const eleventh = track(governor.acquire());
    await settle();
    expect(eleventh.settled).toBe(false);
    permits.forEach((p, i) => p.release({ status: 200, headers: rate(8 - i, 990) }));
    await clock.advance(999);
    expect(eleventh.settled).toBe(false);
    await clock.advance(1);
    expect(eleventh.settled).toBe(true);
    expect(eleventh.error).toBeUndefined();
  });

  it("after a window reset, sends one request and reads the new budget before spending more", async () => {
    const { clock, governor } = setup();
    await roundTrip(governor, rate(0, 1000));
    const calls = Array.from({ length: 6 }, () => track(governor.acquire()));
    await clock.advance(1000);
    expect(calls.filter((c) => c.settled)).toHaveLength(1);
    // Another app already spent most of the new window: only what it left us goes out.
    (calls[0]?.value as Permit).release({ status: 200, headers: rate(3, 900) });
    await settle();
    expect(calls.filter((c) => c.settled)).toHaveLength(4);
  });

  it("counts requests in flight against what is left", async () => {
    const { governor } = setup();
    await roundTrip(governor, rate(3, 1000));
    const a = await governor.acquire();
    const b = await governor.acquire();
    await governor.acquire();
    const fourth = track(governor.acquire());
    await settle();
    expect(fourth.settled).toBe(false);
    expect(governor.state().inFlight).toBe(3);
    // Releasing does not free budget: the request was spent. Only the server's count matters.
    a.release({ status: 200, headers: rate(2, 900) });
    b.release({ status: 200, headers: rate(1, 900) });
    await settle();
    expect(fourth.settled).toBe(false);
  });

  it("keeps the reserve for other apps", async () => {
    const { governor } = setup({ reserve: 3 });
    await roundTrip(governor, rate(9, 1000));
    for (let i = 0; i < 6; i += 1) await governor.acquire();
    const seventh = track(governor.acquire());
    await settle();
    expect(seventh.settled).toBe(false);
    expect(governor.state().inFlight).toBe(6);
  });

  it("never lets a late answer from an old window raise what is left", async () => {
    const { clock, governor } = setup();
    await roundTrip(governor, rate(2, 1000));
    const late = await governor.acquire();
    await clock.advance(1000); // window rolls (our estimate)
    await roundTrip(governor, rate(9, 1000)); // first answer of the new window
    late.release({ status: 200, headers: rate(1, 5) }); // sent in the old window, answered now
    expect(governor.state().left).toBeLessThanOrEqual(9);
    expect(governor.state().left).toBeGreaterThanOrEqual(8);
  });

  it("takes the smaller 'left' among out-of-order answers of one window", async () => {
    const { governor } = setup();
    await roundTrip(governor, rate(9, 1000));
    const a = await governor.acquire();
    const b = await governor.acquire();
    b.release({ status: 200, headers: rate(7, 950) });
    a.release({ status: 200, headers: rate(8, 960) });
    expect(governor.state().left).toBe(7);
  });

  it.each([
    { retryAfter: "3", resetMs: "1000", wait: 3000 },
    { retryAfter: "1", resetMs: "2500", wait: 2500 },
    { retryAfter: undefined, resetMs: "1200", wait: 1200 },
    { retryAfter: "2", resetMs: undefined, wait: 2000 },
  ])("after a 429 blocks every request for max(X-Retry-After, Reset-Ms): $wait ms", async ({ retryAfter, resetMs, wait }) => {
    const { clock, governor } = setup();
    const headers: Record<string, string> = {};
    if (retryAfter !== undefined) headers["x-retry-after"] = retryAfter;
    if (resetMs !== undefined) headers["x-rate-limit-time-reset-ms"] = resetMs;
    await roundTrip(governor, headers, 429);
    // What a batch lane tells a caller it gives up on (its Retry-After): the block as it stands.
    expect(governor.blockedForMs()).toBe(wait);
    const next = track(governor.acquire());
    await clock.advance(wait - 1);
    expect(next.settled).toBe(false);
    await clock.advance(1);
    expect(next.settled).toBe(true);
    expect(next.error).toBeUndefined();
  });

  it("backs off exponentially (capped) on 429s without any headers", async () => {
    const { clock, governor } = setup({ bare429: { baseMs: 1000, maxMs: 3000 } });
    const waits: number[] = [];
    for (let i = 0; i < 4; i += 1) {
      const started = clock.now();
      const permit = await (async () => {
        const t = track(governor.acquire());
        await settle();
        while (!t.settled) await clock.advance(100);
        return t.value as Permit;
      })();
      waits.push(clock.now() - started);
      permit.release({ status: 429, headers: {} });
    }
    expect(waits).toEqual([0, 1000, 2000, 3000]);
    // A normal answer resets the backoff.
    await clock.advance(3000);
    await roundTrip(governor, {}, 200);
    await roundTrip(governor, {}, 429);
    expect(governor.state().blockedUntil - clock.now()).toBe(1000);
  });

  it("rejects at once with RateLimitedError when the wait would exceed the caller's bound", async () => {
    const { clock, governor } = setup();
    await roundTrip(governor, rate(0, 800));
    const started = clock.now();
    const bounded = track(governor.acquire({ deadline: clock.now() + 500 }));
    await settle();
    expect(bounded.settled).toBe(true);
    expect(clock.now()).toBe(started);
    expect(bounded.error).toBeInstanceOf(RateLimitedError);
    expect((bounded.error as RateLimitedError).retryAfterMs).toBe(800);
    expect((bounded.error as RateLimitedError).code).toBe("BC_RATE_LIMITED");
    // A caller whose bound covers the wait gets its permit at the reset.
    const patient = track(governor.acquire({ deadline: clock.now() + 5000 }));
    await clock.advance(800);
    expect(patient.settled).toBe(true);
    expect(patient.error).toBeUndefined();
  });

  it("estimates later windows for callers further back in the queue", async () => {
    const { clock, governor } = setup();
    await roundTrip(governor, rate(0, 1000));
    const deadline = clock.now() + 2500;
    // Windows of 10: positions 0-9 at +1000, 10-19 at +2000, 20-29 at +3000 (past the bound).
    const calls = Array.from({ length: 25 }, () => track(governor.acquire({ deadline })));
    await settle();
    const rejected = calls.filter((c) => c.settled);
    expect(rejected).toHaveLength(5);
    expect((rejected[0]?.error as RateLimitedError).retryAfterMs).toBe(3000);
  });

  it("rejects a waiter whose deadline passes while it waits", async () => {
    const { clock, governor } = setup();
    const probe = await governor.acquire();
    const waiting = track(governor.acquire({ deadline: clock.now() + 300 }));
    await clock.advance(299);
    expect(waiting.settled).toBe(false);
    await clock.advance(1);
    expect(waiting.error).toBeInstanceOf(RateLimitedError);
    probe.release({ status: 200, headers: rate(9, 1000) });
  });

  it("uses an assumed quota before the first response, but reads one answer's headers before a burst", async () => {
    const { governor } = setup({ assumedQuota: 5 });
    const first = await governor.acquire();
    const rest = Array.from({ length: 5 }, () => track(governor.acquire()));
    await settle();
    expect(rest.filter((t) => t.settled)).toHaveLength(0); // no burst on a guess
    first.release({ status: 200, headers: rate(4, 1000, 5) }); // another app spent some already
    await settle();
    expect(rest.filter((t) => t.settled)).toHaveLength(4);
  });

  it("stops pacing only after several successes in a row carry no rate headers", async () => {
    const { governor } = setup();
    await roundTrip(governor, {}, 200);
    // One header-less answer does not release every waiter: still one at a time.
    const one = await governor.acquire();
    const two = track(governor.acquire());
    await settle();
    expect(two.settled).toBe(false);
    expect(governor.state().unlimited).toBe(false);
    one.release({ status: 200, headers: {} });
    await settle();
    expect(two.settled).toBe(true);
    (two.value as Permit).release({ status: 200, headers: {} });
    const permits = await Promise.all(Array.from({ length: 50 }, () => governor.acquire()));
    expect(permits).toHaveLength(50);
    expect(governor.state().unlimited).toBe(true);
  });

  it("keeps probing when the first answer is an error without headers", async () => {
    const { governor } = setup();
    await roundTrip(governor, {}, 503);
    expect(governor.state().learned).toBe(false);
    const next = await governor.acquire();
    const after = track(governor.acquire());
    await settle();
    expect(after.settled).toBe(false);
    next.release({ status: 200, headers: rate(9, 1000) });
    await settle();
    expect(after.settled).toBe(true);
  });

  it("removes a waiter whose signal aborts", async () => {
    const { governor } = setup();
    const probe = await governor.acquire();
    const controller = new AbortController();
    const waiting = track(governor.acquire({ signal: controller.signal }));
    controller.abort(new Error("caller gave up"));
    await settle();
    expect((waiting.error as Error).message).toBe("caller gave up");
    expect(governor.state().waiting).toBe(0);
    probe.release({ status: 200, headers: rate(9, 1000) });
  });

  it("rejects waiters when closed", async () => {
    const { governor } = setup();
    await governor.acquire();
    const waiting = track(governor.acquire());
    governor.close();
    await settle();
    expect((waiting.error as { code?: string }).code).toBe("BC_UNAVAILABLE");
  });
});

describe("RateGovernor: a caller whose bound has passed", () => {
  it("gets no permit even with budget left", async () => {
    const { clock, governor } = setup({ assumedQuota: 10 });
    await expect(governor.acquire({ deadline: clock.now() - 1 })).rejects.toBeInstanceOf(RateLimitedError);
    expect(governor.state().inFlight).toBe(0);
    const permit = await governor.acquire({ deadline: clock.now() });
    permit.release({ status: 200, headers: rate(9, 1000) });
  });
});

describe("RateGovernor with pacing (paceBurstShare)", () => {
  it("grants the burst at once, then one permit per quota slot, refusing at once whoever cannot wait for theirs", async () => {
    // Quota 10 per 1000 ms, burst share 0.2: 2 at once, then one per 100 ms.
    const { clock, governor } = setup({ paceBurstShare: 0.2 });
    await roundTrip(governor, rate(9, 1000));
    // One of the burst is spent (the probe above); one more goes at once.
    const second = track(governor.acquire());
    const third = track(governor.acquire());
    await settle();
    expect(second.settled).toBe(true);
    expect(third.settled).toBe(false);
    (second.value as Permit).release({ status: 200, headers: rate(8, 1000) });
    await clock.advance(99);
    expect(third.settled).toBe(false);
    await clock.advance(1);
    expect(third.settled).toBe(true);
    expect(third.error).toBeUndefined();
    (third.value as Permit).release({ status: 200, headers: rate(7, 900) });
    // The next slot is at 200 ms; a caller whose bound is 50 ms away is refused now, not at its bound.
    const hurried = track(governor.acquire({ deadline: clock.now() + 50 }));
    await settle();
    expect(hurried.error).toBeInstanceOf(RateLimitedError);
  });

  it("when callers wait, hands each slot to the fullest call, and refuses a thin one by its worst case", async () => {
    const { clock, governor } = setup({ paceBurstShare: 0.1 });
    await roundTrip(governor, rate(9, 1000)); // the one burst slot is spent: one per 100 ms from here
    const order: string[] = [];
    const ask = (name: string, fill?: number, deadlineIn = 10_000) =>
      track(
        governor.acquire({ deadline: clock.now() + deadlineIn, ...(fill === undefined ? {} : { fill: () => fill }) }).then((p) => {
          order.push(name);
          p.release({ status: 200, headers: {} });
          return p;
        }),
      );
    ask("read, a fifth full", 0.2);
    ask("write, full", 1);
    ask("lone request");
    for (let i = 0; i < 10 && order.length < 3; i++) await clock.advance(100);
    expect(order).toEqual(["write, full", "lone request", "read, a fifth full"]);
    // Now a thin call whose bound covers its place but not two younger full calls going first.
    ask("full", 1);
    const thin = ask("thin", 0.2, 250); // its place alone: 200 ms; two younger full calls first: 400 ms
    await settle();
    expect(thin.error).toBeInstanceOf(RateLimitedError);
  });

  it("an idle governor with pacing still grants a lone request at once", async () => {
    const { clock, governor } = setup({ paceBurstShare: 0.1 });
    await roundTrip(governor, rate(9, 1000));
    await clock.advance(500);
    const lone = track(governor.acquire());
    await settle();
    expect(lone.settled).toBe(true);
  });
});
