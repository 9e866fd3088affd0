/**
 * The quota arithmetic alone: no clock, no queue, no timer. Every call names its `now` (ms), so
 * each case reads as "at this time, with this answer, the budget says this".
 */
import { describe, expect, it } from "vitest";
import { fillWindowMs } from "../../src/bigcommerce/pacing.js";
import { QuotaBudget, UNLIMITED_AFTER, type QuotaBudgetOptions, type ResponseInfo } from "../../src/bigcommerce/quota-budget.js";
import { rate } from "./helpers/rate-headers.js";


function answer(headers: Record<string, string>, status = 200): ResponseInfo {
  return { status, headers };
}

/** A budget that has seen one answer: the first request, taken and answered at `now`. */
function learnt(headers: Record<string, string>, options: QuotaBudgetOptions = {}, now = 0): QuotaBudget {
  const budget = new QuotaBudget(options, now);
  expect(budget.take(now)).toEqual({ granted: true, windowProbe: false, fillForMs: 0 });
  budget.release(now, answer(headers), false);
  return budget;
}

/** How many slots the budget grants at `now` before it refuses one. */
function grantsAt(budget: QuotaBudget, now: number): number {
  let n = 0;
  while (n < 1000 && budget.take(now).granted) n += 1;
  return n;
}

describe("QuotaBudget: learning from the headers", () => {
  it.each([
    { case: "all four headers", now: 0, headers: rate(9, 1000, 10, 1000), quota: 10, left: 9, resetAt: 1000, windowMs: 1000 },
    { case: "another quota and window", now: 500, headers: rate(140, 29_000, 150, 30_000), quota: 150, left: 140, resetAt: 29_500, windowMs: 30_000 },
    {
      case: "no quota or window header: quota at least left + 1, window as assumed",
      now: 0,
      headers: { "x-rate-limit-requests-left": "7", "x-rate-limit-time-reset-ms": "400" },
      quota: 8,
      left: 7,
      resetAt: 400,
      windowMs: 30_000,
    },
  ])("$case", ({ now, headers, quota, left, resetAt, windowMs }) => {
    const budget = learnt(headers, {}, now);
    expect(budget.state()).toEqual({ learned: true, unlimited: false, quota, left, resetAt, windowMs, inFlight: 0, blockedUntil: 0 });
  });

  it("before any answer: one request at a time, and no time to wake at (the answer is the event)", () => {
    const budget = new QuotaBudget({}, 0);
    expect(budget.take(0)).toEqual({ granted: true, windowProbe: false, fillForMs: 0 });
    expect(budget.take(0)).toEqual({ granted: false, wakeAt: undefined });
    expect(budget.state()).toMatchObject({ learned: false, inFlight: 1 });
  });

  it("same window, answers out of order: the smaller 'left' wins, the later reset is kept", () => {
    const budget = learnt(rate(9, 1000));
    budget.take(0);
    budget.take(0);
    budget.release(50, answer(rate(7, 950)), false); // resets at 1000
    budget.release(60, answer(rate(8, 960)), false); // resets at 1020: same window
    expect(budget.state()).toMatchObject({ left: 7, resetAt: 1020 });
  });

  it("a late answer from an earlier window does not raise what is left: it counts as one spent", () => {
    const budget = learnt(rate(2, 1000));
    expect(budget.take(0).granted).toBe(true); // sent in the first window
    expect(budget.take(1000)).toEqual({ granted: true, windowProbe: true, fillForMs: 0 }); // our estimate rolls the window
    budget.release(1000, answer(rate(9, 1000)), true); // the new window's real budget
    budget.release(1000, answer(rate(1, 5)), false); // the old request, answered now
    expect(budget.state()).toMatchObject({ left: 8, resetAt: 2000 });
  });

  it("an answer from a later window than we knew replaces what is left", () => {
    const budget = learnt(rate(5, 1000));
    budget.take(0);
    budget.release(900, answer(rate(9, 1000)), false); // resets at 1900: the server rolled already
    expect(budget.state()).toMatchObject({ left: 9, resetAt: 1900 });
  });

  it.each([
    { case: "no answer at all", response: undefined },
    { case: "an error without headers", response: answer({}, 503) },
    { case: "a success without headers, once the budget is known", response: answer({}, 200) },
  ])("$case counts as spent", ({ response }) => {
    const budget = learnt(rate(5, 1000));
    budget.take(10);
    budget.release(10, response, false);
    expect(budget.state()).toMatchObject({ left: 4, inFlight: 0, unlimited: false });
  });
});

describe("QuotaBudget: window roll and probe", () => {
  it("waits for the reset, then sends one probe and spends only what its answer reports", () => {
    const budget = learnt(rate(0, 1000));
    expect(budget.take(500)).toEqual({ granted: false, wakeAt: 1000 });
    expect(budget.take(1000)).toEqual({ granted: true, windowProbe: true, fillForMs: 0 });
    expect(budget.state()).toMatchObject({ left: 10, resetAt: 2000, inFlight: 1 });
    expect(budget.take(1000)).toEqual({ granted: false, wakeAt: undefined }); // no burst on our own estimate
    budget.release(1010, answer(rate(3, 990)), true); // another app spent most of the window
    expect(grantsAt(budget, 1010)).toBe(3);
    expect(budget.take(1010)).toEqual({ granted: false, wakeAt: 2000 });
  });

  it("a probe given back unused leaves the next request to probe", () => {
    const budget = learnt(rate(0, 1000));
    expect(budget.take(1000)).toEqual({ granted: true, windowProbe: true, fillForMs: 0 });
    budget.giveBack(true);
    expect(budget.state()).toMatchObject({ left: 10, inFlight: 0 });
    expect(budget.take(1000)).toEqual({ granted: true, windowProbe: true, fillForMs: 0 });
  });

  it("a probe that got no answer still ends the probing (and counts as spent)", () => {
    const budget = learnt(rate(0, 1000));
    budget.take(1000);
    budget.release(1100, undefined, true);
    expect(budget.state().left).toBe(9);
    expect(budget.take(1100)).toEqual({ granted: true, windowProbe: false, fillForMs: 0 });
  });

  it("an assumed quota is a guess: its first request probes, the answer replaces it", () => {
    const budget = new QuotaBudget({ assumedQuota: 5, assumedWindowMs: 1000 }, 100);
    expect(budget.state()).toMatchObject({ learned: true, quota: 5, left: 5, resetAt: 1100 });
    expect(budget.take(100)).toEqual({ granted: true, windowProbe: true, fillForMs: 0 });
    expect(budget.take(100)).toEqual({ granted: false, wakeAt: undefined });
    budget.release(110, answer(rate(2, 1000, 5)), true);
    expect(grantsAt(budget, 110)).toBe(2);
  });
});

describe("QuotaBudget: reserve and requests in flight", () => {
  it.each([
    { reserve: 0, now: 9, afterRoll: 1 },
    { reserve: 3, now: 6, afterRoll: 1 },
    // A reserve as large as the quota is capped at quota − 1: one request per window stays ours.
    { reserve: 20, now: 0, afterRoll: 1 },
  ])("reserve $reserve with 9 of 10 left: $now slots now", ({ reserve, now, afterRoll }) => {
    const budget = learnt(rate(9, 1000), { reserve });
    expect(grantsAt(budget, 0)).toBe(now);
    expect(grantsAt(budget, 1000)).toBe(afterRoll); // the new window's probe
  });

  it("a request in flight counts against what is left, and freeing it does not give budget back", () => {
    const budget = learnt(rate(3, 1000));
    expect(grantsAt(budget, 0)).toBe(3);
    expect(budget.state().inFlight).toBe(3);
    budget.release(100, answer(rate(2, 900)), false);
    budget.release(100, answer(rate(1, 900)), false);
    expect(budget.state()).toMatchObject({ left: 1, inFlight: 1 });
    expect(budget.take(100)).toEqual({ granted: false, wakeAt: 1000 });
  });

  it("a slot given back is not spent", () => {
    const budget = learnt(rate(1, 1000));
    expect(budget.take(0).granted).toBe(true);
    expect(budget.take(0).granted).toBe(false);
    budget.giveBack(false);
    expect(budget.state()).toMatchObject({ left: 1, inFlight: 0 });
    expect(budget.take(0).granted).toBe(true);
  });
});

describe("QuotaBudget: 429s", () => {
  it.each([
    { retryAfter: "3", resetMs: "1000", blockedUntil: 3100 },
    { retryAfter: "1", resetMs: "2500", blockedUntil: 2600 },
    { retryAfter: undefined, resetMs: "1200", blockedUntil: 1300 },
    { retryAfter: "2", resetMs: undefined, blockedUntil: 2100 },
  ])("a quota 429 (retry-after $retryAfter s, reset $resetMs ms) blocks every request until $blockedUntil", ({ retryAfter, resetMs, blockedUntil }) => {
    const headers: Record<string, string> = {};
    if (retryAfter !== undefined) headers["x-retry-after"] = retryAfter;
    if (resetMs !== undefined) headers["x-rate-limit-time-reset-ms"] = resetMs;
    const budget = new QuotaBudget({}, 0);
    budget.take(100);
    budget.release(100, answer(headers, 429), false);
    expect(budget.state().blockedUntil).toBe(blockedUntil);
    expect(budget.take(blockedUntil - 1)).toEqual({ granted: false, wakeAt: blockedUntil });
    expect(budget.take(blockedUntil).granted).toBe(true);
  });

  it("a concurrency 429 (requests left, no X-Retry-After) blocks nothing and still teaches the budget", () => {
    const budget = learnt(rate(9, 1000));
    budget.take(0);
    budget.release(10, answer(rate(6, 990), 429), false);
    expect(budget.state()).toMatchObject({ blockedUntil: 0, left: 6 });
    expect(budget.take(10).granted).toBe(true);
  });

  it("429s without headers back off exponentially up to the cap; any other answer resets the count", () => {
    const budget = new QuotaBudget({ bare429: { baseMs: 1000, maxMs: 3000 } }, 0);
    const blocks: number[] = [];
    let now = 0;
    for (let i = 0; i < 4; i += 1) {
      expect(budget.take(now).granted).toBe(true);
      budget.release(now, answer({}, 429), false);
      blocks.push(budget.state().blockedUntil - now);
      now = budget.state().blockedUntil;
    }
    expect(blocks).toEqual([1000, 2000, 3000, 3000]);
    budget.take(now);
    budget.release(now, answer({}, 503), false);
    budget.take(now);
    budget.release(now, answer({}, 429), false);
    expect(budget.state().blockedUntil - now).toBe(1000);
  });

  it("a 429 with headers resets the header-less count too", () => {
    const budget = new QuotaBudget({ bare429: { baseMs: 1000, maxMs: 16_000 } }, 0);
    budget.take(0);
    budget.release(0, answer({}, 429), false); // blocked until 1000
    budget.take(1000);
    budget.release(1000, answer({ "x-retry-after": "1" }, 429), false); // blocked until 2000
    budget.take(2000);
    budget.release(2000, answer({}, 429), false);
    expect(budget.state().blockedUntil).toBe(3000); // base again, not 4 × base
  });
});

describe("QuotaBudget: a store that announces no budget", () => {
  it(`is unlimited only after ${UNLIMITED_AFTER} header-less successes, probing one at a time until then`, () => {
    const budget = new QuotaBudget({}, 0);
    for (let i = 1; i < UNLIMITED_AFTER; i += 1) {
      expect(budget.take(i)).toEqual({ granted: true, windowProbe: false, fillForMs: 0 });
      expect(budget.take(i).granted).toBe(false);
      budget.release(i, answer({}), false);
      expect(budget.state()).toMatchObject({ learned: false, unlimited: false });
    }
    budget.take(UNLIMITED_AFTER);
    budget.release(UNLIMITED_AFTER, answer({}), false);
    expect(budget.state()).toMatchObject({ learned: true, unlimited: true });
    expect(grantsAt(budget, UNLIMITED_AFTER)).toBe(1000);
    expect(budget.estimateGrantTime(UNLIMITED_AFTER, 500)).toBe(UNLIMITED_AFTER);
  });

  it("once headers were seen, header-less successes count as spent, never as unlimited", () => {
    const budget = new QuotaBudget({}, 0);
    for (let i = 0; i < UNLIMITED_AFTER - 1; i += 1) {
      budget.take(0);
      budget.release(0, answer({}), false);
    }
    budget.take(0);
    budget.release(0, answer(rate(9, 1000)), false);
    budget.take(0);
    budget.release(0, answer({}), false);
    expect(budget.state()).toMatchObject({ learned: true, unlimited: false, left: 8 });
  });

  it("an unlimited store that starts sending headers is governed by them again", () => {
    const budget = new QuotaBudget({}, 0);
    for (let i = 0; i < UNLIMITED_AFTER; i += 1) {
      budget.take(0);
      budget.release(0, answer({}), false);
    }
    budget.take(0);
    budget.release(0, answer(rate(1, 1000)), false);
    expect(budget.state()).toMatchObject({ unlimited: false, left: 1 });
    expect(grantsAt(budget, 0)).toBe(1);
  });
});

describe("QuotaBudget: pacing", () => {
  // Quota 10 per 1000 ms, burst share 0.2: 2 at once, then one per 100 ms.
  const paced = { paceBurstShare: 0.2 };

  it("grants the burst at once, then one slot per (window / quota)", () => {
    const budget = learnt(rate(9, 1000), paced); // one of the burst spent
    expect(budget.take(0)).toEqual({ granted: true, windowProbe: false, fillForMs: 0 });
    expect(budget.take(0)).toEqual({ granted: false, wakeAt: 100 });
    expect(budget.take(99)).toEqual({ granted: false, wakeAt: 100 });
    expect(budget.take(100).granted).toBe(true);
    expect(budget.take(100)).toEqual({ granted: false, wakeAt: 200 });
  });

  it("an idle budget grants a lone request at once, mid-window", () => {
    const budget = learnt(rate(9, 1000), paced);
    expect(budget.take(500).granted).toBe(true);
  });

  it("the reserve slows the pace: slots of window / (quota − reserve)", () => {
    const budget = learnt(rate(9, 1000), { ...paced, reserve: 2 }); // 8 ours per window: burst 2, one per 125 ms
    budget.take(0);
    expect(budget.take(0)).toEqual({ granted: false, wakeAt: 125 });
  });

  it("a slot granted on the pacing line may be held half a slot to fill its call; a burst slot may not", () => {
    const budget = learnt(rate(9, 1000), paced); // one of the burst of 2 spent
    expect(budget.take(0)).toMatchObject({ granted: true, fillForMs: 0 }); // the burst's last
    expect(budget.take(100)).toMatchObject({ granted: true, fillForMs: 50 }); // paced: 100 ms slots
  });

  it.each([
    { case: "burst unspent", left: 9, inFlight: 0, now: 500, fill: 0 },
    { case: "burst spent, on the pacing line", left: 7, inFlight: 1, now: 250, fill: 50 },
    { case: "burst spent, but most of the window went unused (not scarce)", left: 7, inFlight: 0, now: 700, fill: 0 },
    { case: "burst spent, as many paced slots passed as were spent", left: 6, inFlight: 0, now: 400, fill: 50 },
  ])("fillWindowMs: $case", ({ left, inFlight, now, fill }) => {
    // Quota 10 per 1000 ms from 0, burst 2, one slot per 100 ms.
    expect(fillWindowMs({ now, quota: 10, left, inFlight, reserve: 0, resetAt: 1000, windowMs: 1000, burstShare: 0.2 })).toBe(fill);
  });

  it("an exhausted window waits for the reset, not for a paced slot", () => {
    const budget = learnt(rate(0, 1000), paced);
    expect(budget.take(0)).toEqual({ granted: false, wakeAt: 1000 });
  });
});

describe("QuotaBudget: when would the k-th caller in line get its slot", () => {
  it.each([
    { case: "nothing left: next window, then one window per quota", headers: rate(0, 1000), options: {}, now: 0, k: [0, 9, 10, 25], eta: [1000, 1000, 2000, 3000] },
    { case: "5 left: now, then the next windows", headers: rate(5, 1000), options: {}, now: 0, k: [0, 4, 5, 14, 15], eta: [0, 0, 1000, 1000, 2000] },
    { case: "reserve 3 of 10", headers: rate(9, 1000), options: { reserve: 3 }, now: 0, k: [5, 6, 12, 13], eta: [0, 1000, 1000, 2000] },
    { case: "past the reset, not yet rolled: a fresh window from now", headers: rate(5, 1000), options: {}, now: 1500, k: [9, 10], eta: [1500, 2500] },
    { case: "pacing: the burst, then a slot each 100 ms, then the next window", headers: rate(9, 1000), options: { paceBurstShare: 0.2 }, now: 0, k: [0, 1, 3, 8, 9, 10, 11, 12], eta: [0, 100, 300, 800, 1000, 1000, 1100, 1200] },
  ])("$case", ({ headers, options, now, k, eta }) => {
    const budget = learnt(headers, options);
    expect(k.map((position) => budget.estimateGrantTime(now, position))).toEqual(eta);
  });

  it("not before a 429's block ends; before the budget is known, no later than that", () => {
    const budget = new QuotaBudget({}, 0);
    budget.take(0);
    budget.release(0, answer({ "x-retry-after": "3" }, 429), false);
    expect([0, 5].map((position) => budget.estimateGrantTime(0, position))).toEqual([3000, 3000]);
    expect(new QuotaBudget({}, 0).estimateGrantTime(42, 7)).toBe(42);
  });

  it("counts requests in flight", () => {
    const budget = learnt(rate(5, 1000));
    expect(grantsAt(budget, 0)).toBe(5);
    expect(budget.estimateGrantTime(0, 0)).toBe(1000);
  });
});
