/**
 * Write guards (src/bigcommerce/write-guard.ts): a write is checked when it leaves, not only
 * when it is submitted. With replicas the guard is a user's lock lease; a batched write can wait
 * seconds for a quota slot, and one whose lease ran out meanwhile must not be sent.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { CustomerId } from "../../src/bigcommerce/api.js";
import { CustomerWriteBatcher } from "../../src/bigcommerce/batcher.js";
import { createBigCommerceClient, type BigCommerceClientHandle } from "../../src/bigcommerce/client.js";
import type { Permit, PermitSource } from "../../src/bigcommerce/governor.js";
import { SharedWrites } from "../../src/bigcommerce/shared-writes.js";
import { boundedSlots, Semaphore } from "../../src/bigcommerce/concurrency.js";
import { OutcomeUnknownError, ValidationFailedError } from "../../src/bigcommerce/errors.js";
import { currentWriteGuard, runWithWriteGuard, type WriteGuard } from "../../src/bigcommerce/write-guard.js";
import { CallCounter, currentCallTally, runWithCallTally } from "../../src/bigcommerce/call-tally.js";
import { currentDeadline, runWithDeadline } from "../../src/bigcommerce/deadline.js";
import { startEmulator, type RunningEmulator } from "../../src/emulator/index.js";
import { FakeClock } from "./helpers/fake-clock.js";
import { customer, json, page, scriptedServer } from "./helpers/scripted-server.js";
import { FakeWrites } from "./helpers/fake-writes.js";
import { track } from "./helpers/track.js";

class GuardRefused extends Error {}

/** A guard that refuses once `lost()` says so (a lease that ran out, or was taken over). */
function guard(lost: () => boolean): WriteGuard {
  return {
    check: () => {
      if (lost()) throw new GuardRefused("lease lost");
    },
  };
}

/** A permit source that grants only when the test says so. */
function gate() {
  const waiting: ((permit: Permit) => void)[] = [];
  const source: PermitSource = { acquire: () => new Promise<Permit>((resolve) => waiting.push(resolve)) };
  return { source, grantOne: () => waiting.shift()?.({ release: () => {}, giveBack: () => {} }) };
}

/** Lets the batcher run (the fake store pauses on real timers) until `done()`, without letting fake time pass. */
async function drive(clock: FakeClock, done: () => boolean): Promise<void> {
  while (!done()) {
    await clock.advance(0);
    await new Promise((r) => setTimeout(r, 1));
  }
}

describe("a queued write whose guard refuses before its slot is granted", () => {
  it("is rejected with the guard's error and left out of the batch; the batch's other items are sent", async () => {
    const clock = new FakeClock();
    const permits = gate();
    const writes = new FakeWrites();
    const [a, b, c] = ["a", "b", "c"].map((n) => writes.seed(`${n}@example.com`, "Old"));
    const batcher = new CustomerWriteBatcher({ writes, clock, permits: permits.source, windowMs: 0, maxWaitMs: 30_000 });
    const leaseEnds = clock.now() + 1_000;
    const update = (id: number) => batcher.update({ id: id as CustomerId, first_name: "New" });

    const stale = track(runWithWriteGuard(guard(() => clock.now() >= leaseEnds), () => update(a!.id)));
    const held = track(runWithWriteGuard(guard(() => false), () => update(b!.id)));
    const unguarded = track(update(c!.id));
    // Quota pressure: the slot comes 2 s later, after the first lease has run out.
    await clock.advance(2_000);
    expect(writes.calls).toEqual([]);
    permits.grantOne();
    await drive(clock, () => stale.settled && held.settled && unguarded.settled);

    expect(stale.error).toBeInstanceOf(GuardRefused);
    expect(writes.calls).toEqual([{ kind: "put", items: [b!.id, c!.id].map((id) => ({ id, first_name: "New" })) }]);
    expect(writes.customers.map((x) => x.first_name)).toEqual(["Old", "New", "New"]);
    expect([held.value?.first_name, unguarded.value?.first_name]).toEqual(["New", "New"]);
  });

  it("is refused on submission when its guard already refuses, without waiting for a slot", async () => {
    const clock = new FakeClock();
    const writes = new FakeWrites();
    const batcher = new CustomerWriteBatcher({ writes, clock, permits: gate().source, windowMs: 0, maxWaitMs: 30_000 });
    const create = runWithWriteGuard(guard(() => true), () => batcher.create({ email: "x@example.com", first_name: "X", last_name: "Y" }));
    await expect(create).rejects.toBeInstanceOf(GuardRefused);
    expect(writes.calls).toEqual([]);
  });
});

describe("single-item writes sharing a call (attribute values, index metafields)", () => {
  it("leave without the item whose guard refused before the slot was granted", async () => {
    const clock = new FakeClock();
    const permits = gate();
    const sent: string[][] = [];
    const writes = new SharedWrites<string, string>({
      clock,
      permits: permits.source,
      maxWaitMs: 30_000,
      maxBatch: 10,
      slots: boundedSlots(new Semaphore(1), clock, "test"),
      send: async (items) => {
        sent.push(items);
        return items.map((i) => `${i}!`);
      },
    });
    let lost = false;
    const stale = track(runWithWriteGuard(guard(() => lost), () => writes.submit("stale")));
    const held = track(runWithWriteGuard(guard(() => false), () => writes.submit("held")));
    const refusedAtOnce = track(runWithWriteGuard(guard(() => true), () => writes.submit("late")));
    await clock.advance(1_000);
    lost = true;
    permits.grantOne();
    await drive(clock, () => stale.settled && held.settled && refusedAtOnce.settled);

    expect(stale.error).toBeInstanceOf(GuardRefused);
    expect(refusedAtOnce.error).toBeInstanceOf(GuardRefused);
    expect(held.value).toBe("held!");
    expect(sent).toEqual([["held"]]);
  });
});

describe("single-item writes sent again one by one after an item's error", () => {
  it("each goes under its own guard: an item whose guard still allows it is not refused for a neighbour's", async () => {
    const clock = new FakeClock();
    const sent: string[][] = [];
    let lost = false;
    const writes = new SharedWrites<string, string>({
      clock,
      maxWaitMs: 30_000,
      maxBatch: 10,
      slots: boundedSlots(new Semaphore(1), clock, "test"),
      send: async (items) => {
        // As the transport does right before a write leaves.
        currentWriteGuard()?.check();
        sent.push(items);
        if (items.length > 1) {
          // The stale item's lease is lost while the shared call is out; the call fails on the bad item.
          lost = true;
          throw new ValidationFailedError(422, "invalid value", [{ field: "value", message: "bad" }]);
        }
        if (items[0] === "bad") throw new ValidationFailedError(422, "invalid value", [{ field: "value", message: "bad" }]);
        return items.map((i) => `${i}!`);
      },
    });
    const stale = track(runWithWriteGuard(guard(() => lost), () => writes.submit("stale")));
    const held = track(runWithWriteGuard(guard(() => false), () => writes.submit("held")));
    const unguarded = track(writes.submit("unguarded"));
    const bad = track(writes.submit("bad"));
    await drive(clock, () => [stale, held, unguarded, bad].every((t) => t.settled));

    expect(stale.error).toBeInstanceOf(GuardRefused);
    expect(bad.error).toBeInstanceOf(ValidationFailedError);
    expect([held.value, unguarded.value]).toEqual(["held!", "unguarded!"]);
    expect(sent).toEqual([["stale", "held", "unguarded", "bad"], ["held"], ["unguarded"], ["bad"]]);
  });
});

describe("single-item writes sent again one by one carry their own request's tally and deadline", () => {
  it("each lone call counts for its own request only and is bounded by that request's deadline, not a neighbour's", async () => {
    const clock = new FakeClock();
    const seen: { items: string[]; deadline: number | undefined }[] = [];
    const writes = new SharedWrites<string, string>({
      clock,
      maxWaitMs: 30_000,
      maxBatch: 10,
      slots: boundedSlots(new Semaphore(1), clock, "test"),
      send: async (items) => {
        // As the transport does for every call it makes.
        currentCallTally()?.count({ method: "PUT", endpoint: "/v3/customers/attribute-values", status: 200 });
        seen.push({ items, deadline: currentDeadline()?.at });
        if (items.length > 1 || items[0] === "bad") throw new ValidationFailedError(422, "invalid value", [{ field: "value", message: "bad" }]);
        return items.map((i) => `${i}!`);
      },
    });
    const [first, second] = [new CallCounter(), new CallCounter()];
    const soon = { at: clock.now() + 5_000, hardAt: clock.now() + 6_000 };
    const later = { at: clock.now() + 20_000, hardAt: clock.now() + 21_000 };
    const bad = track(runWithCallTally(first, () => runWithDeadline(soon, () => writes.submit("bad"))));
    const good = track(runWithCallTally(second, () => runWithDeadline(later, () => writes.submit("good"))));
    await drive(clock, () => bad.settled && good.settled);

    expect(bad.error).toBeInstanceOf(ValidationFailedError);
    expect(good.value).toBe("good!");
    // The shared call carried both; each lone call carried one request's work.
    expect(seen).toEqual([
      { items: ["bad", "good"], deadline: later.at },
      { items: ["bad"], deadline: soon.at },
      { items: ["good"], deadline: later.at },
    ]);
    expect([first.total, second.total]).toEqual([2, 2]);
  });
});

describe("the transport checks the guard right before a write leaves", () => {
  const STORE = "guarded";
  const TOKEN = "emulator-token";
  let emulator: RunningEmulator;
  const clients: BigCommerceClientHandle[] = [];

  beforeAll(async () => {
    emulator = await startEmulator({ port: 0, accessToken: TOKEN, rateQuota: 100_000, rateWindowMs: 30_000 });
  });
  afterAll(async () => {
    await emulator.close();
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) await c.close();
    emulator.reset();
    emulator.setOptions({ rateQuota: 100_000, rateWindowMs: 30_000 });
  });

  const newClient = () => {
    const client = createBigCommerceClient({ apiUrl: emulator.url, storeHash: STORE, accessToken: TOKEN, requestTimeoutMs: 5000, maxWaitMs: 20_000 });
    clients.push(client);
    return client;
  };
  const seed = (email: string) => emulator.store(STORE).customers.insert({ email, first_name: "Old", last_name: "L" }).id as CustomerId;
  const firstNameOf = (id: number) => emulator.store(STORE).customers.get(id)?.first_name;
  const customerWrites = () => emulator.requests.filter((r) => r.method !== "GET");

  it("a direct write waiting for its permit is not sent when its guard refuses meanwhile", async () => {
    const id = seed("direct@example.com");
    const client = newClient();
    // The window's whole budget spent: the next call waits for the window to reset.
    emulator.setOptions({ rateQuota: 2, rateWindowMs: 1_500 });
    for (let i = 0; i < 2; i += 1) await client.customers.list({ limit: 1 });
    expect(client.governorState().left).toBe(0);
    let lost = false;
    const deletion = track(runWithWriteGuard(guard(() => lost), () => client.customers.delete([id])));
    lost = true;
    await deletion.promise.catch(() => {});
    expect(deletion.error).toBeInstanceOf(GuardRefused);
    expect(customerWrites()).toEqual([]);
    expect(firstNameOf(id)).toBe("Old");
  });

  it("a batch whose call must go again (429) leaves without the item whose guard refused meanwhile", async () => {
    const [a, b] = [seed("a@example.com"), seed("b@example.com")];
    // Another client spends the window: this client's first PUT meets a 429 and must wait.
    emulator.setOptions({ rateQuota: 2, rateWindowMs: 1_500 });
    const other = newClient();
    for (let i = 0; i < 2; i += 1) await other.customers.list({ limit: 1 });
    emulator.clearRequests();
    const client = newClient();
    // A's lease is lost while its batch waits to be sent again.
    const leaseLost = () => emulator.requests.some((r) => r.status === 429);
    const stale = track(runWithWriteGuard(guard(leaseLost), () => client.customers.update({ id: a, first_name: "Stale" })));
    const held = track(runWithWriteGuard(guard(() => false), () => client.customers.update({ id: b, first_name: "Held" })));
    await Promise.allSettled([stale.promise, held.promise]);

    expect(stale.error).toBeInstanceOf(GuardRefused);
    expect(held.value?.first_name).toBe("Held");
    // The 429'd call carried both; the one that went through left A out (A was not written).
    expect(customerWrites().map((r) => `${r.method} ${r.status}`)).toEqual(["PUT 429", "PUT 200"]);
    expect([firstNameOf(a), firstNameOf(b)]).toEqual(["Old", "Held"]);
  });
});

describe("a write in flight when its guard is lost (a lease is not a fence)", () => {
  /** A guard whose signal aborts, with the error check() then throws, when the test loses it. */
  function losable() {
    const lost = new AbortController();
    const guarded: WriteGuard = {
      check: () => {
        if (lost.signal.aborted) throw lost.signal.reason;
      },
      signal: lost.signal,
    };
    return { guarded, lose: () => lost.abort(new GuardRefused("lease lost while the write was on its way")) };
  }

  it("is abandoned at once: its caller gets the guard's error instead of waiting for BigCommerce, and nothing is sent again", async () => {
    // BigCommerce takes the write and does not answer (a slow store, a pause).
    const server = await scriptedServer((req, res) => {
      if (req.method === "GET") json(res, 200, page([]));
    });
    const client = createBigCommerceClient({ apiUrl: server.url, storeHash: "abc123", accessToken: "token", requestTimeoutMs: 60_000, maxWaitMs: 20_000 });
    try {
      const { guarded, lose } = losable();
      const write = track(runWithWriteGuard(guarded, () => client.customerGroups.update(7 as never, { name: "Renamed" })));
      for (let i = 0; i < 200 && server.requests.length === 0; i += 1) await new Promise((r) => setTimeout(r, 5));
      expect(server.requests.map((r) => r.method)).toEqual(["PUT"]);
      expect(write.settled).toBe(false);

      lose();
      // Abandoned, not refused: BigCommerce may have it already (a lease is not a fence).
      await expect(write.promise).rejects.toBeInstanceOf(OutcomeUnknownError);
      expect((write.error as Error).cause).toBeInstanceOf(GuardRefused);
      expect(server.requests.map((r) => r.method)).toEqual(["PUT"]);
    } finally {
      await client.close();
      await server.close();
    }
  });

  it("a batched customer write in flight is abandoned too: its caller hears an error, never a success", async () => {
    const server = await scriptedServer((req, res) => {
      // The customer write never answers; re-reads show the customer unchanged.
      if (req.method === "GET") json(res, 200, page([customer(5, "five@example.com")]));
    });
    const client = createBigCommerceClient({ apiUrl: server.url, storeHash: "abc123", accessToken: "token", requestTimeoutMs: 60_000, maxWaitMs: 20_000, batchWindowMs: 0 });
    try {
      const { guarded, lose } = losable();
      const write = track(runWithWriteGuard(guarded, () => client.customers.update({ id: 5 as CustomerId, first_name: "New" })));
      for (let i = 0; i < 200 && !server.requests.some((r) => r.method === "PUT"); i += 1) await new Promise((r) => setTimeout(r, 5));
      expect(write.settled).toBe(false);
      lose();
      for (let i = 0; i < 400 && !write.settled; i += 1) await new Promise((r) => setTimeout(r, 5));
      expect(write.settled).toBe(true);
      expect(write.error).toBeInstanceOf(OutcomeUnknownError);
      expect(server.requests.filter((r) => r.method === "PUT")).toHaveLength(1);
    } finally {
      await client.close();
      await server.close();
    }
  });
});
