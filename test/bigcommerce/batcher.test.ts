import { describe, expect, it } from "vitest";
import type { CustomerId } from "../../src/bigcommerce/api.js";
import { CustomerWriteBatcher } from "../../src/bigcommerce/batcher.js";
import { systemClock } from "../../src/bigcommerce/clock.js";
import { boundedSlots, Semaphore } from "../../src/bigcommerce/concurrency.js";
import { RequestBudgetSpentError } from "../../src/bigcommerce/deadline.js";
import {
  ConflictError,
  NotFoundError,
  OutcomeUnknownError,
  RateLimitedError,
  UpstreamUnavailableError,
  ValidationFailedError,
} from "../../src/bigcommerce/errors.js";
import { FakeClock } from "./helpers/fake-clock.js";
import { FakeWrites } from "./helpers/fake-writes.js";
import { track } from "./helpers/track.js";

function setup(options: Partial<ConstructorParameters<typeof CustomerWriteBatcher>[0]> = {}) {
  const writes = new FakeWrites();
  const batcher = new CustomerWriteBatcher({ writes, clock: systemClock, windowMs: 0, maxWaitMs: 5000, resendBaseDelayMs: 5, ...options });
  return { writes, batcher };
}

/** Lets the batcher run on a fake clock until `done()`, without letting fake time pass (the
 * test's timeout bounds it). */
async function drive(clock: FakeClock, done: () => boolean): Promise<void> {
  while (!done()) await step(clock);
}

/** One turn: due fake timers fire, and real timers set before now (the fake store's pauses). */
async function step(clock: FakeClock): Promise<void> {
  await clock.advance(0);
  await new Promise((r) => setTimeout(r, 1));
}

const person = (i: number | string) => ({ email: `user${i}@example.com`, first_name: `First${i}`, last_name: `Last${i}` });
const cid = (n: number) => n as CustomerId;

describe("CustomerWriteBatcher: creates", () => {
  it("coalesces 25 concurrent creates into 3 POSTs and gives each caller its own customer", async () => {
    const { writes, batcher } = setup();
    const results = await Promise.all(Array.from({ length: 25 }, (_, i) => batcher.create(person(i))));
    expect(writes.count("post")).toBe(3);
    expect(writes.calls.map((c) => (c.kind === "post" ? c.items.length : 0))).toEqual([10, 10, 5]);
    results.forEach((customer, i) => expect(customer.email).toBe(`user${i}@example.com`));
    expect(new Set(results.map((c) => c.id)).size).toBe(25);
  });

  it("settles a create whose response was lost through the re-read, without a duplicate or a 409", async () => {
    const { writes, batcher } = setup();
    writes.afterPost = (_items, n) => {
      if (n === 1) throw new UpstreamUnavailableError("socket closed");
    };
    const results = await Promise.all([1, 2, 3].map((i) => batcher.create(person(i))));
    expect(results.map((c) => c.email)).toEqual(["user1@example.com", "user2@example.com", "user3@example.com"]);
    expect(writes.customers).toHaveLength(3);
    expect(writes.count("post")).toBe(1);
    expect(writes.count("list")).toBe(1);
    const reread = writes.calls.find((c) => c.kind === "list");
    expect(reread).toMatchObject({ query: { "email:in": ["user1@example.com", "user2@example.com", "user3@example.com"], include: ["attributes", "formfields"] } });
  });

  it("gives a duplicate in the middle of a batch ConflictError and creates the others", async () => {
    const { writes, batcher } = setup();
    writes.seed("user3@example.com");
    const settled = await Promise.allSettled([1, 2, 3, 4, 5].map((i) => batcher.create(person(i))));
    const third = settled[2];
    expect(third?.status).toBe("rejected");
    const error = (third as PromiseRejectedResult).reason as ConflictError;
    expect(error).toBeInstanceOf(ConflictError);
    expect(error.email).toBe("user3@example.com");
    for (const i of [0, 1, 3, 4]) expect(settled[i]?.status).toBe("fulfilled");
    expect(writes.count("post")).toBe(2); // the failed batch, then the four innocents together
    expect(writes.count("list")).toBe(1);
    expect(writes.customers).toHaveLength(5);
  });

  it("never attributes a customer to two callers creating the same email", async () => {
    const { writes, batcher } = setup();
    const settled = await Promise.allSettled([batcher.create(person(1)), batcher.create(person(1))]);
    expect(settled.map((s) => s.status).sort()).toEqual(["fulfilled", "rejected"]);
    expect((settled.find((s) => s.status === "rejected") as PromiseRejectedResult).reason).toBeInstanceOf(ConflictError);
    for (const call of writes.calls) if (call.kind === "post") expect(call.items).toHaveLength(1);
  });

  it("sends innocents alone after a 422 it cannot attribute, so the error reaches its owner", async () => {
    const { writes, batcher } = setup();
    writes.beforePost = (items) => {
      if (items.some((i) => i.first_name === "Bad")) {
        throw new ValidationFailedError(422, "JSON data is missing or invalid", [{ field: "first_name", message: "error.path.invalid" }]);
      }
    };
    const settled = await Promise.allSettled([
      batcher.create(person(1)),
      batcher.create({ ...person(2), first_name: "Bad" }),
      batcher.create(person(3)),
    ]);
    expect(settled.map((s) => s.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    const error = (settled[1] as PromiseRejectedResult).reason as ValidationFailedError;
    expect(error).toBeInstanceOf(ValidationFailedError);
    expect(error.fields).toEqual([{ field: "first_name", message: "error.path.invalid" }]);
    expect(writes.count("post")).toBe(4); // the batch, then three alone
  });

  it("gives an item its own indexed 422 and re-sends the rest together", async () => {
    const { writes, batcher } = setup();
    writes.beforePost = (items) => {
      const bad = items.findIndex((i) => i.last_name === "");
      if (bad >= 0) throw new ValidationFailedError(422, "Create customers failed.", [{ index: bad, field: "last_name", message: "must not be empty" }]);
    };
    const settled = await Promise.allSettled([batcher.create(person(1)), batcher.create({ ...person(2), last_name: "" }), batcher.create(person(3))]);
    expect(settled.map((s) => s.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect(((settled[1] as PromiseRejectedResult).reason as ValidationFailedError).fields).toEqual([{ field: "last_name", message: "must not be empty" }]);
    expect(writes.count("post")).toBe(2);
  });

  it("gives up after 3 attempts with OutcomeUnknownError", async () => {
    const { writes, batcher } = setup();
    writes.beforePost = () => {
      throw new UpstreamUnavailableError("503", { status: 503 });
    };
    await expect(batcher.create(person(1))).rejects.toBeInstanceOf(OutcomeUnknownError);
    expect(writes.count("post")).toBe(3);
    expect(writes.count("list")).toBe(3);
  });

  it("backs off before re-sending after a transient failure", async () => {
    const { writes, batcher } = setup({ resendBaseDelayMs: 150 });
    writes.beforePost = (_items, n) => {
      if (n === 1) throw new UpstreamUnavailableError("503", { status: 503 });
    };
    const started = Date.now();
    await batcher.create(person(1));
    expect(Date.now() - started).toBeGreaterThanOrEqual(145);
    expect(writes.count("post")).toBe(2);
  });

  it("answers UpstreamUnavailableError when the backoff would pass the caller's bound (nothing was written)", async () => {
    // Fake time: the POST surely goes out before the bound, however slow the machine.
    const clock = new FakeClock();
    const { writes, batcher } = setup({ clock, resendBaseDelayMs: 500, maxWaitMs: 100 });
    writes.beforePost = () => {
      throw new UpstreamUnavailableError("503", { status: 503 });
    };
    const created = track(batcher.create(person(1)));
    await drive(clock, () => created.settled);
    expect(created.error).toBeInstanceOf(UpstreamUnavailableError);
    expect(writes.count("post")).toBe(1);
    expect(writes.count("list")).toBe(1);
  });

  it("answers OutcomeUnknownError when the re-read fails too", async () => {
    const { writes, batcher } = setup();
    writes.afterPost = () => {
      throw new UpstreamUnavailableError("lost");
    };
    writes.beforeList = () => {
      throw new UpstreamUnavailableError("down");
    };
    await expect(batcher.create(person(1))).rejects.toBeInstanceOf(OutcomeUnknownError);
  });

  it("remembers an uncertain create in the injected store before rejecting; a failing store keeps the original error", async () => {
    const noted: string[] = [];
    const failing = {
      remember: async (email: string) => {
        noted.push(email);
        throw new Error("store down");
      },
      recall: async () => undefined,
      forget: async () => {},
    };
    const { writes, batcher } = setup({ unsettledCreates: failing });
    writes.afterPost = () => {
      throw new UpstreamUnavailableError("lost");
    };
    writes.beforeList = () => {
      throw new UpstreamUnavailableError("down");
    };
    await expect(batcher.create(person(1))).rejects.toBeInstanceOf(OutcomeUnknownError);
    expect(noted).toEqual(["user1@example.com"]);
  });

  it("passes RateLimitedError straight through (nothing was written, no re-read)", async () => {
    const { writes, batcher } = setup();
    writes.beforePost = () => {
      throw new RateLimitedError(4000);
    };
    await expect(batcher.create(person(1))).rejects.toMatchObject({ code: "BC_RATE_LIMITED", retryAfterMs: 4000 });
    expect(writes.count("list")).toBe(0);
  });

  it("passes RequestBudgetSpentError straight through too (a 503: nothing was sent or BigCommerce refused it, no re-read)", async () => {
    const { writes, batcher } = setup();
    writes.beforePost = () => {
      throw new RequestBudgetSpentError(2000);
    };
    await expect(batcher.create(person(1))).rejects.toMatchObject({ code: "BC_BUDGET_SPENT", retryAfterMs: 2000 });
    expect(writes.count("list")).toBe(0);
  });

  it("refuses an email with a comma before anything is sent", async () => {
    const { writes, batcher } = setup();
    const error = await batcher.create({ ...person(1), email: "a@x.com,b@y.com" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationFailedError);
    expect((error as ValidationFailedError).fields[0]?.field).toBe("email");
    expect(writes.calls).toHaveLength(0);
  });
});

describe("CustomerWriteBatcher: updates", () => {
  it("serialises updates of one customer in call order", async () => {
    const { writes, batcher } = setup();
    const c = writes.seed("a@example.com", "A", "A");
    const results = await Promise.all(["one", "two", "three"].map((name) => batcher.update({ id: cid(c.id), first_name: name })));
    expect(results.map((r) => r.first_name)).toEqual(["one", "two", "three"]);
    expect(writes.customers[0]?.first_name).toBe("three");
    expect(writes.count("put")).toBe(3);
    for (const call of writes.calls) if (call.kind === "put") expect(call.items).toHaveLength(1);
  });

  it("batches distinct ids by 10 with at most 3 PUTs in flight, never one id twice in a PUT", async () => {
    const { writes, batcher } = setup();
    writes.delayMs = 20;
    const seeded = Array.from({ length: 40 }, (_, i) => writes.seed(`p${i}@example.com`));
    const updates = [...seeded, ...seeded.slice(0, 5)].map((c, i) => batcher.update({ id: cid(c.id), company: `co${i}` }));
    await Promise.all(updates);
    expect(writes.maxInFlight).toBeLessThanOrEqual(3);
    for (const call of writes.calls) {
      if (call.kind !== "put") continue;
      expect(call.items.length).toBeLessThanOrEqual(10);
      expect(new Set(call.items.map((i) => i.id)).size).toBe(call.items.length);
    }
    expect(writes.customers[0]?.company).toBe("co40"); // the later update of p0 won
  });

  it("answers NotFoundError for an unknown id and updates the others", async () => {
    const { writes, batcher } = setup();
    const a = writes.seed("a@example.com");
    const b = writes.seed("b@example.com");
    const settled = await Promise.allSettled([
      batcher.update({ id: cid(a.id), company: "x" }),
      batcher.update({ id: cid(99_999), company: "x" }),
      batcher.update({ id: cid(b.id), company: "x" }),
    ]);
    expect(settled.map((s) => s.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect((settled[1] as PromiseRejectedResult).reason).toBeInstanceOf(NotFoundError);
    expect(writes.count("put")).toBe(2);
    expect(writes.count("list")).toBe(1);
  });

  it("settles an update whose response was lost from the re-read, without sending it again", async () => {
    const { writes, batcher } = setup();
    const a = writes.seed("a@example.com");
    writes.afterPut = () => {
      throw new UpstreamUnavailableError("socket closed");
    };
    const result = await batcher.update({ id: cid(a.id), first_name: "Renamed" });
    expect(result.first_name).toBe("Renamed");
    expect(writes.count("put")).toBe(1);
    expect(writes.count("list")).toBe(1);
  });

  it("re-sends an update that the re-read shows was not applied", async () => {
    const { writes, batcher } = setup();
    const a = writes.seed("a@example.com");
    writes.beforePut = (_items, n) => {
      if (n === 1) throw new UpstreamUnavailableError("503", { status: 503 });
    };
    const result = await batcher.update({ id: cid(a.id), first_name: "Renamed" });
    expect(result.first_name).toBe("Renamed");
    expect(writes.count("put")).toBe(2);
  });

  it("answers OutcomeUnknownError, not the quota's 429, when the resend after a lost answer is refused (the first may still land)", async () => {
    const { writes, batcher } = setup();
    const a = writes.seed("a@example.com");
    writes.beforePut = (_items, n) => {
      if (n === 1) throw new UpstreamUnavailableError("no answer");
      throw new RateLimitedError(4000);
    };
    await expect(batcher.update({ id: cid(a.id), first_name: "Renamed" })).rejects.toBeInstanceOf(OutcomeUnknownError);
    expect(writes.count("put")).toBe(2);
  });

  it("maps an indexed duplicate-email 422 to ConflictError", async () => {
    const { writes, batcher } = setup();
    const a = writes.seed("a@example.com");
    const b = writes.seed("b@example.com");
    writes.beforePut = (items) => {
      const bad = items.findIndex((i) => i.email === "a@example.com");
      if (bad >= 0) throw new ValidationFailedError(422, "Update customers failed.", [{ index: bad, field: "email", message: "Email address a@example.com is already in use" }]);
    };
    const settled = await Promise.allSettled([
      batcher.update({ id: cid(a.id), company: "ok" }),
      batcher.update({ id: cid(b.id), email: "a@example.com" }),
    ]);
    expect(settled[0]?.status).toBe("fulfilled");
    expect((settled[1] as PromiseRejectedResult).reason).toBeInstanceOf(ConflictError);
  });

  it("refuses an id that is not a positive int32 without a call", async () => {
    const { writes, batcher } = setup();
    await expect(batcher.update({ id: -4 as CustomerId })).rejects.toBeInstanceOf(NotFoundError);
    expect(writes.calls).toHaveLength(0);
  });
});

describe("CustomerWriteBatcher: close", () => {
  it("rejects queued and later calls once closed", async () => {
    const { batcher } = setup();
    const queued = batcher.create(person(1));
    batcher.close(new UpstreamUnavailableError("closed"));
    await expect(queued).rejects.toBeInstanceOf(UpstreamUnavailableError);
    await expect(batcher.create(person(2))).rejects.toBeInstanceOf(UpstreamUnavailableError);
    await expect(batcher.update({ id: cid(1), company: "x" })).rejects.toBeInstanceOf(UpstreamUnavailableError);
  });
});

/** The real clock moved by hand: `by(ms)` models minutes passing between an IdP's retries. */
function shiftedClock() {
  let shift = 0;
  return {
    clock: { now: () => Date.now() + shift, sleep: systemClock.sleep },
    by(ms: number) {
      shift += ms;
    },
  };
}

describe("CustomerWriteBatcher: creates without a definite answer", () => {
  function setupShifted(options: Partial<ConstructorParameters<typeof CustomerWriteBatcher>[0]> = {}) {
    const time = shiftedClock();
    const writes = new FakeWrites();
    writes.now = time.clock.now;
    const batcher = new CustomerWriteBatcher({ writes, clock: time.clock, windowMs: 0, maxWaitMs: 5000, resendBaseDelayMs: 5, ...options });
    return { writes, batcher, time };
  }

  it("lets the IdP's retry resolve with the customer a lost create wrote (re-read failed), not ConflictError", async () => {
    const { writes, batcher, time } = setupShifted();
    writes.afterPost = (_items, n) => {
      if (n === 1) throw new UpstreamUnavailableError("socket closed");
    };
    let readsFail = true;
    writes.beforeList = () => {
      if (readsFail) throw new UpstreamUnavailableError("GET 503", { status: 503 });
    };
    await expect(batcher.create(person(1))).rejects.toBeInstanceOf(OutcomeUnknownError);
    expect(writes.count("list")).toBe(2); // the re-read's own bounded retry
    time.by(60_000); // the IdP honours Retry-After and comes back a minute later
    readsFail = false;
    const again = await batcher.create(person(1));
    expect(again.id).toBe(writes.customers[0]?.id);
    expect(writes.customers).toHaveLength(1);
  });

  it("lets the retry resolve when the timed-out write landed after the caller was answered", async () => {
    const { writes, batcher, time } = setupShifted({ maxWaitMs: 100, resendBaseDelayMs: 500 });
    writes.beforePost = (_items, n) => {
      if (n === 1) throw new UpstreamUnavailableError("no answer (BC_REQUEST_TIMEOUT)");
    };
    // The re-read shows nothing yet; the backoff would pass the bound: outcome unknown (503).
    await expect(batcher.create(person(1))).rejects.toBeInstanceOf(OutcomeUnknownError);
    time.by(1000);
    writes.seed("user1@example.com", "First1", "Last1", new Date(time.clock.now()).toISOString()); // the late write lands
    time.by(60_000);
    const again = await batcher.create(person(1));
    expect(again.id).toBe(writes.customers[0]?.id);
  });

  it("still answers ConflictError when the names differ, or the customer predates the first attempt", async () => {
    const { writes, batcher, time } = setupShifted();
    writes.afterPost = () => {
      throw new UpstreamUnavailableError("socket closed");
    };
    writes.beforeList = () => {
      throw new UpstreamUnavailableError("GET 503", { status: 503 });
    };
    await expect(batcher.create(person(1))).rejects.toBeInstanceOf(OutcomeUnknownError);
    writes.afterPost = undefined;
    writes.beforeList = undefined;
    time.by(60_000);
    await expect(batcher.create({ ...person(1), first_name: "Someone" })).rejects.toBeInstanceOf(ConflictError);

    writes.seed("user2@example.com", "First2", "Last2"); // created in 2020 by someone else, same names
    // The first attempt gets no answer before BigCommerce could refuse it, so it is remembered
    // as unsettled; the retry must still not take the 2020 customer for the one it wrote.
    writes.beforePost = () => {
      throw new UpstreamUnavailableError("no answer (BC_REQUEST_TIMEOUT)");
    };
    writes.beforeList = () => {
      throw new UpstreamUnavailableError("GET 503", { status: 503 });
    };
    await expect(batcher.create(person(2))).rejects.toBeInstanceOf(OutcomeUnknownError);
    writes.beforePost = undefined;
    writes.beforeList = undefined;
    await expect(batcher.create(person(2))).rejects.toBeInstanceOf(ConflictError);
  });

  it("hands a remembered customer to one retry only", async () => {
    const { writes, batcher, time } = setupShifted();
    writes.afterPost = (_items, n) => {
      if (n === 1) throw new UpstreamUnavailableError("socket closed");
    };
    let readsFail = true;
    writes.beforeList = () => {
      if (readsFail) throw new UpstreamUnavailableError("GET 503", { status: 503 });
    };
    await expect(batcher.create(person(1))).rejects.toBeInstanceOf(OutcomeUnknownError);
    readsFail = false;
    time.by(60_000);
    await batcher.create(person(1));
    await expect(batcher.create(person(1))).rejects.toBeInstanceOf(ConflictError);
  });
});

describe("CustomerWriteBatcher: bounded waiting", () => {
  it("rejects an item still queued at its bound, behind its id's slow write, with RequestBudgetSpentError (503, not the quota's 429) and never sends it", async () => {
    // Fake time: the first PUT (1 s of real time in the fake store) is sent at once; the second
    // update waits behind it and is refused exactly at its bound.
    const clock = new FakeClock();
    const { writes, batcher } = setup({ clock, maxWaitMs: 100 });
    writes.delayMs = 1000;
    const a = writes.seed("a@example.com");
    const first = track(batcher.update({ id: cid(a.id), first_name: "one" }));
    const second = track(batcher.update({ id: cid(a.id), first_name: "two" }));
    await drive(clock, () => writes.count("put") === 1);
    await clock.advance(99);
    expect(second.settled).toBe(false);
    await clock.advance(1);
    await drive(clock, () => second.settled);
    expect(second.error).toBeInstanceOf(RequestBudgetSpentError);
    expect(first.settled).toBe(false);
    await drive(clock, () => first.settled);
    expect(first.error).toBeUndefined();
    await new Promise((r) => setTimeout(r, 50));
    expect(writes.count("put")).toBe(1);
  });

  it("rejects queued creates at their bound while every slot is busy (503: BigCommerce is slow, not the quota)", async () => {
    // One slot for the endpoint: the second and third wait for it, past their bound.
    const one = boundedSlots(new Semaphore(1), systemClock, "POST /customers");
    const { writes, batcher } = setup({ maxWaitMs: 100, slots: () => one, maxBatchSize: 1 });
    writes.delayMs = 300;
    const settled = await Promise.allSettled([1, 2, 3].map((i) => batcher.create(person(i))));
    expect(settled.map((s) => s.status)).toEqual(["fulfilled", "rejected", "rejected"]);
    expect((settled[1] as PromiseRejectedResult).reason).toBeInstanceOf(RequestBudgetSpentError);
    expect(writes.count("post")).toBe(1);
  });

  it("gives the re-read the batch's remaining budget, not a fresh maxWaitMs", async () => {
    const { writes, batcher } = setup({ maxWaitMs: 10_000, rereadMinMs: 500 });
    writes.afterPost = (_items, n) => {
      if (n === 1) throw new UpstreamUnavailableError("lost");
    };
    const before = Date.now();
    await batcher.create(person(1));
    const reread = writes.calls.find((c) => c.kind === "list");
    expect(reread?.kind === "list" && reread.deadline).toBeGreaterThan(before);
    expect(reread?.kind === "list" && (reread.deadline as number) <= before + 10_000 + 50).toBe(true);
  });
});

describe("CustomerWriteBatcher: an update that may land late", () => {
  const timeout = () => new UpstreamUnavailableError("no answer from BigCommerce on PUT /v3/customers (BC_REQUEST_TIMEOUT)", { cause: { code: "BC_REQUEST_TIMEOUT" } });

  it("holds later updates of that customer for the grace period, so the late write cannot overwrite them", async () => {
    const { writes, batcher } = setup({ lateWriteGraceMs: 300 });
    const a = writes.seed("a@example.com", "Orig", "X");
    writes.beforePut = (items, n) => {
      if (n !== 1) return;
      // The server is still working on it: the write lands 150 ms after the client gave up.
      setTimeout(() => {
        const c = writes.customers.find((x) => x.id === a.id);
        if (c) c.first_name = items[0]?.first_name as string;
      }, 150);
      throw timeout();
    };
    const started = Date.now();
    expect((await batcher.update({ id: cid(a.id), first_name: "A" })).first_name).toBe("A");
    const second = await batcher.update({ id: cid(a.id), first_name: "B" });
    expect(second.first_name).toBe("B");
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    await new Promise((r) => setTimeout(r, 200));
    expect(writes.customers[0]?.first_name).toBe("B");
  });

  it("does not hold other customers, nor after a refused connection", async () => {
    const { writes, batcher } = setup({ lateWriteGraceMs: 5000 });
    const a = writes.seed("a@example.com");
    const b = writes.seed("b@example.com");
    const failed = new Set<string>();
    const once = (key: string | undefined): boolean => key !== undefined && !failed.has(key) && (failed.add(key), true);
    writes.beforePut = (items) => {
      const company = items[0]?.company;
      if ((company === "x" || company === "p") && once(company)) throw timeout();
      if (company === "y" && once(company)) throw new UpstreamUnavailableError("refused (ECONNREFUSED)", { cause: { code: "ECONNREFUSED" } });
    };
    const started = Date.now();
    await batcher.update({ id: cid(a.id), company: "x" });
    await batcher.update({ id: cid(b.id), company: "y" });
    await batcher.update({ id: cid(b.id), company: "z" });
    // Not a speed goal: only that nothing waited out the 5 s late-write grace.
    expect(Date.now() - started).toBeLessThan(4_000);
    // A later update of the customer whose PUT timed out waits (here: past its own bound).
    const quick = new CustomerWriteBatcher({ writes, clock: systemClock, windowMs: 0, maxWaitMs: 100, resendBaseDelayMs: 5, lateWriteGraceMs: 5000 });
    await quick.update({ id: cid(a.id), company: "p" });
    await expect(quick.update({ id: cid(a.id), company: "q" })).rejects.toBeInstanceOf(RequestBudgetSpentError);
    expect(writes.customers.find((c) => c.id === a.id)?.company).toBe("p");
  });
});

describe("CustomerWriteBatcher: close during a resend", () => {
  it("ends a resend backoff at once and rejects the waiting item", async () => {
    // Fake time never moves here: the 10 s backoff can end only through close().
    const clock = new FakeClock();
    const { writes, batcher } = setup({ clock, maxWaitMs: 60_000, resendBaseDelayMs: 10_000 });
    writes.beforePost = () => {
      throw new UpstreamUnavailableError("503", { status: 503 });
    };
    const pending = track(batcher.create(person(1)));
    await drive(clock, () => writes.count("list") === 1); // POST failed, re-read sent
    for (let i = 0; i < 10; i += 1) await step(clock); // the re-read's answer arrives: now in the backoff
    expect(pending.settled).toBe(false);
    batcher.close(new UpstreamUnavailableError("client closed"));
    await drive(clock, () => pending.settled);
    expect((pending.error as Error).message).toBe("client closed");
    expect(writes.count("post")).toBe(1);
  });

  it("rejects items a batch in flight gives back after close", async () => {
    // Fake time: a resend's backoff cannot end on its own, so close() always meets the first PUT.
    const clock = new FakeClock();
    const { writes, batcher } = setup({ clock, maxWaitMs: 60_000 });
    writes.delayMs = 80;
    const a = writes.seed("a@example.com");
    writes.beforePut = () => {
      throw new UpstreamUnavailableError("503", { status: 503 });
    };
    const pending = track(batcher.update({ id: cid(a.id), company: "x" }));
    await drive(clock, () => writes.count("put") === 1);
    batcher.close(new UpstreamUnavailableError("client closed"));
    await drive(clock, () => pending.settled);
    expect((pending.error as Error).message).toBe("client closed");
    expect(writes.count("put")).toBe(1);
  });
});

describe("CreateBatcher.pick", () => {
  it("lets no later create of an email overtake a skipped solo item of the same email", async () => {
    const { CreateBatcher } = await import("../../src/bigcommerce/create-batcher.js");
    const { newPending } = await import("../../src/bigcommerce/batch-item.js");
    const settings = {
      writes: new FakeWrites(),
      clock: systemClock,
      windowMs: 0,
      maxWaitMs: 5000,
      maxBatch: 10,
      maxAttempts: 3,
      slots: () => boundedSlots(new Semaphore(3), systemClock, "test"),
      resendBaseDelayMs: 5,
      resendMaxDelayMs: 10,
      rereadMinMs: 100,
      rereadAttempts: 2,
      requestTimeoutMs: 1000,
      lateWriteGraceMs: 0,
    };
    const creates = new CreateBatcher(settings, 2000);
    const make = (i: number, solo = false) => {
      const item = person(i);
      return { ...newPending(item, settings, () => {}, () => {}), emailKey: item.email, solo };
    };
    const a = make(1);
    const soloB = make(2, true);
    const laterB = make(2);
    const c = make(3);
    const queue = [a, soloB, laterB, c];
    const batch = (creates as unknown as { pick(q: typeof queue): typeof queue }).pick(queue);
    expect(batch).toEqual([a, c]);
    expect(queue).toEqual([soloB, laterB]);
  });
});
