import { describe, expect, it } from "vitest";
import { BatchLane } from "../../src/bigcommerce/batch-lane.js";
import type { Clock } from "../../src/bigcommerce/clock.js";
import { Arrivals, IdpConnections } from "../../src/bigcommerce/arrivals.js";
import { boundedSlots, Semaphore, type EndpointSlots } from "../../src/bigcommerce/concurrency.js";
import { RequestBudgetSpentError } from "../../src/bigcommerce/deadline.js";
import { RateLimitedError } from "../../src/bigcommerce/errors.js";
import type { Permit, PermitSource } from "../../src/bigcommerce/governor.js";
import { FakeClock, settle } from "./helpers/fake-clock.js";

/** An endpoint with `n` concurrency slots. */
const slotsOf = (n: number, clock: Clock) => boundedSlots(new Semaphore(n), clock, "test");

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
      slots: slotsOf(1, clock),
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

describe("late-bound batches (with a permit source)", () => {
  /** A permit source that grants only when the test says so, and counts what it handed out. */
  function gate() {
    const waiting: (() => void)[] = [];
    const state = { granted: 0, givenBack: 0, open: false };
    const permit = (): Permit => {
      state.granted += 1;
      return { release: () => {}, giveBack: () => (state.givenBack += 1) };
    };
    return {
      state,
      source: {
        acquire: () => (state.open ? Promise.resolve(permit()) : new Promise<Permit>((resolve) => waiting.push(() => resolve(permit())))),
      },
      grantOne: () => waiting.shift()?.(),
    };
  }

  it("cuts the batch when the slot is granted: everything queued meanwhile goes in one call", async () => {
    const clock = new FakeClock();
    const g = gate();
    const sent: number[][] = [];
    const lane = new BatchLane<number>({
      clock,
      windowMs: 0,
      slots: slotsOf(3, clock),
      permits: g.source,
      fullBatch: 10,
      pick: (queue) => queue.splice(0, 10),
      run: async (batch, permit) => {
        expect(permit).toBeDefined();
        sent.push(batch);
      },
    });
    for (let i = 0; i < 13; i++) lane.add(i);
    await clock.advance(1);
    expect(sent).toEqual([]); // waiting for quota: nothing formed yet
    g.grantOne();
    await settle();
    expect(sent).toEqual([[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]]);
    g.grantOne();
    await settle();
    expect(sent).toEqual([[0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [10, 11, 12]]);
    lane.close();
  });

  it("tells the permit source how full its call would be, as the queue fills while it waits", async () => {
    const clock = new FakeClock();
    let fill: (() => number) | undefined;
    const lane = new BatchLane<number>({
      clock,
      windowMs: 0,
      slots: slotsOf(1, clock),
      permits: {
        acquire: (options) => {
          fill = options?.fill;
          return new Promise<Permit>(() => {});
        },
      },
      fullBatch: 10,
      pick: (queue) => queue.splice(0, 10),
      run: async () => {},
    });
    lane.add(1);
    lane.add(2);
    await clock.advance(1);
    expect(fill?.()).toBe(0.2);
    for (let i = 3; i <= 12; i++) lane.add(i);
    expect(fill?.()).toBeGreaterThanOrEqual(1);
    lane.close();
  });

  describe("a slot granted on the pacing line (Permit.fillForMs)", () => {
    function lane(clock: FakeClock, fillForMs: number) {
      const state = { givenBack: 0, sent: [] as number[][] };
      const l = new BatchLane<number>({
        clock,
        windowMs: 0,
        slots: slotsOf(1, clock),
        permits: { acquire: async () => ({ fillForMs, release: () => {}, giveBack: () => void (state.givenBack += 1) }) },
        fullBatch: 10,
        pick: (queue) => queue.splice(0, 10),
        run: async (batch) => void state.sent.push(batch),
      });
      return { l, state };
    }

    it("is held to fill the call: cut the moment it is full", async () => {
      const clock = new FakeClock();
      const { l, state } = lane(clock, 50);
      const start = clock.now();
      l.add(0);
      l.add(1);
      await clock.advance(0);
      expect(state.sent).toEqual([]);
      for (let i = 2; i < 12; i++) l.add(i);
      await clock.advance(0);
      expect(state.sent).toEqual([[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]]);
      expect(clock.now()).toBe(start); // not a moment later
      l.close();
    });

    it("or when its moment is over, with what came", async () => {
      const clock = new FakeClock();
      const { l, state } = lane(clock, 50);
      l.add(0);
      await clock.advance(20);
      l.add(1);
      await clock.advance(29);
      expect(state.sent).toEqual([]);
      await clock.advance(1);
      expect(state.sent).toEqual([[0, 1]]);
      l.close();
    });

    it("never outlasts a queued item's deadline: an item that cannot wait out the moment goes at once", async () => {
      const clock = new FakeClock();
      const start = clock.now();
      const state = { sent: [] as { batch: number[]; at: number }[], expired: [] as number[] };
      const l = new BatchLane<number>({
        clock,
        windowMs: 0,
        slots: slotsOf(1, clock),
        permits: { acquire: async () => ({ fillForMs: 50, release: () => {}, giveBack: () => {} }) },
        fullBatch: 10,
        pick: (queue) => queue.splice(0, 10),
        run: async (batch) => void state.sent.push({ batch, at: clock.now() - start }),
        // Item n's caller gives up n ms from now.
        deadlineOf: (n) => start + n,
        expire: (n) => void state.expired.push(n),
      });
      l.add(30); // granted a slot at once: it must not wait 50 ms of it, past its own 30
      await clock.advance(100);
      l.add(1000); // a slot held for this one...
      await clock.advance(10);
      l.add(140); // ...is cut when an item joins that cannot wait for its end (at 150, past its 140)
      await clock.advance(100);
      expect(state.expired).toEqual([]);
      expect(state.sent).toEqual([
        { batch: [30], at: 0 },
        { batch: [1000, 140], at: 110 },
      ]);
      l.close();
    });

    it("is not held for a queue with nothing left to send: it goes back at once for others to use", async () => {
      const clock = new FakeClock();
      const start = clock.now();
      const state = { givenBackAt: [] as number[], expired: [] as number[] };
      const l = new BatchLane<number>({
        clock,
        windowMs: 0,
        slots: slotsOf(1, clock),
        // The slot comes at the item's deadline (as the shared gate may grant it): the item expires first.
        permits: {
          acquire: async () => {
            await clock.sleep(100);
            return { fillForMs: 50, release: () => {}, giveBack: () => void state.givenBackAt.push(clock.now() - start) };
          },
        },
        fullBatch: 10,
        pick: (queue) => queue.splice(0, 10),
        run: async () => {},
        deadlineOf: (n) => start + n,
        expire: (n) => void state.expired.push(n),
      });
      l.add(100);
      await clock.advance(100);
      expect(state.expired).toEqual([100]);
      expect(state.givenBackAt).toEqual([100]);
      l.close();
    });

    it("a burst slot (fillForMs 0) leaves at once; a held slot is given back when the lane closes", async () => {
      const clock = new FakeClock();
      const now = lane(clock, 0);
      now.l.add(7);
      await clock.advance(0);
      expect(now.state.sent).toEqual([[7]]);
      now.l.close();
      const held = lane(clock, 50);
      held.l.add(8);
      await clock.advance(0);
      expect(held.l.close()).toEqual([8]);
      expect(held.state.givenBack).toBe(1);
      await clock.advance(100);
      expect(held.state.sent).toEqual([]);
    });
  });

  it("takes the endpoint's concurrency slot before it asks for a permit, and frees both when the batch ends", async () => {
    const clock = new FakeClock();
    const g = gate();
    g.state.open = true;
    const semaphore = new Semaphore(1);
    const sent: number[][] = [];
    const lane = new BatchLane<number>({
      clock,
      windowMs: 0,
      slots: boundedSlots(semaphore, clock, "test"),
      permits: g.source,
      fullBatch: 10,
      pick: (queue) => queue.splice(0, 10),
      run: async (batch) => void sent.push(batch),
    });
    const other = await semaphore.acquire(); // another call to the endpoint holds its only slot
    lane.add(1);
    await clock.advance(1);
    lane.add(2);
    await clock.advance(1);
    expect(g.state.granted).toBe(0); // no permit is held while the slot is awaited
    other();
    await settle();
    expect(sent).toEqual([[1, 2]]);
    expect(g.state.granted).toBe(1);
    expect(semaphore.inUse).toBe(0);
    lane.close();
  });

  it("keeps one timer however many items wait, at the earliest of their deadlines", async () => {
    const clock = new FakeClock();
    const start = clock.now();
    const g = gate(); // closed: nothing is granted
    const expired: number[] = [];
    const lane = new BatchLane<number>({
      clock,
      windowMs: 0,
      slots: slotsOf(1, clock),
      permits: g.source,
      fullBatch: 100,
      pick: (queue) => queue.splice(0, 100),
      run: async () => {},
      deadlineOf: (n) => start + n,
      expire: (n) => void expired.push(n),
    });
    for (let n = 500; n > 100; n -= 10) lane.add(n);
    await clock.advance(1);
    expect(clock.pendingTimers).toBe(1);
    await clock.advance(109);
    expect(expired).toEqual([110]);
    expect(clock.pendingTimers).toBe(1);
    await clock.advance(400);
    expect(expired).toHaveLength(40);
    expect(clock.pendingTimers).toBe(0);
    lane.close();
  });
});

describe("the hold for arrivals (IdP connections in another stage)", () => {
  /** A lane whose calls carry up to 10, sent at once (no quota), on a client whose exchanges take 100 ms. */
  function setup() {
    const clock = new FakeClock();
    const connections = new IdpConnections(clock);
    const arrivals = new Arrivals(connections);
    arrivals.observeExchange(100);
    const sent: { batch: string[]; at: number }[] = [];
    const start = clock.now();
    const finish: (() => void)[] = [];
    const lane = (name: string, hold = false) =>
      new BatchLane<string>({
        clock,
        windowMs: 0,
        slots: slotsOf(3, clock),
        arrivals,
        fullBatch: 10,
        pick: (queue) => queue.splice(0, 10),
        run: (batch) => {
          sent.push({ batch: batch.map((b) => `${name}:${b}`), at: clock.now() - start });
          return hold ? new Promise<void>((resolve) => finish.push(resolve)) : Promise.resolve();
        },
      });
    /** A SCIM request on connection `caller`: busy until `end()`. */
    const request = (caller: object, fn: () => void = () => {}) => connections.serve(caller, fn).end;
    /** A lane with no quota: whoever reaches it waits there. */
    const waitingLane = () =>
      new BatchLane<string>({
        clock,
        windowMs: 0,
        slots: slotsOf(1, clock),
        permits: { acquire: () => new Promise<Permit>(() => {}) },
        arrivals,
        fullBatch: 10,
        pick: (queue) => queue.splice(0, 10),
        run: async () => {},
      });
    return { clock, arrivals, lane, request, sent, finish, waitingLane };
  }

  it("a lone request on an idle bridge leaves at once", async () => {
    const { clock, lane, request, sent } = setup();
    const l = lane("get");
    request({}, () => l.add("a"));
    await clock.advance(0);
    expect(sent).toEqual([{ batch: ["get:a"], at: 0 }]);
    l.close();
  });

  it("waits for the busy connections that are not waiting anywhere, and leaves the moment they are all here", async () => {
    const { clock, lane, request, sent } = setup();
    const l = lane("create");
    const [a, b, c] = [{}, {}, {}];
    request(b); // in flight in another stage (e.g. their lookups)
    request(c);
    request(a, () => l.add("a"));
    await clock.advance(40);
    expect(sent).toEqual([]);
    request(b, () => l.add("b"));
    await clock.advance(20);
    expect(sent).toEqual([]);
    request(c, () => l.add("c"));
    await clock.advance(0);
    expect(sent).toEqual([{ batch: ["create:a", "create:b", "create:c"], at: 60 }]);
    l.close();
  });

  it("waits at most 1.25 observed exchanges for connections that do not come", async () => {
    const { clock, lane, request, sent } = setup();
    const l = lane("create");
    request({}); // busy elsewhere for good (e.g. a group's members)
    request({}, () => l.add("a"));
    await clock.advance(124);
    expect(sent).toEqual([]);
    await clock.advance(1);
    expect(sent).toEqual([{ batch: ["create:a"], at: 125 }]);
    l.close();
  });

  it("a full call does not wait", async () => {
    const { clock, lane, request, sent } = setup();
    const l = lane("create");
    request({});
    for (let i = 0; i < 10; i++) request({}, () => l.add(String(i)));
    await clock.advance(0);
    expect(sent).toHaveLength(1);
    expect(sent[0]?.batch).toHaveLength(10);
    l.close();
  });

  it("does not wait for a connection waiting in another lane (two lanes never hold for each other)", async () => {
    const { clock, lane, request, sent, waitingLane } = setup();
    const lookups = waitingLane();
    const creates = lane("create");
    const [a, b] = [{}, {}];
    request(b, () => lookups.add("b"));
    request(a, () => creates.add("a"));
    await clock.advance(0);
    expect(sent).toEqual([{ batch: ["create:a"], at: 0 }]);
    lookups.close();
    creates.close();
  });

  it("while a call of this lane is in flight, a partial one waits for it (Nagle), however long", async () => {
    const { clock, lane, request, sent, finish } = setup();
    const l = lane("create", true);
    request({}, () => l.add("a"));
    await clock.advance(0);
    request({}, () => l.add("b"));
    await clock.advance(500);
    expect(sent).toEqual([{ batch: ["create:a"], at: 0 }]);
    finish.shift()?.();
    await settle();
    expect(sent.at(-1)).toEqual({ batch: ["create:b"], at: 500 });
    for (const f of finish) f();
    l.close();
  });

  /** The IdP has been seen to send its next request `ms` after an answer (its turnaround). */
  async function learnTurnaround(clock: FakeClock, request: (caller: object) => () => void, ms: number) {
    const caller = {};
    request(caller)();
    await clock.advance(ms);
    request(caller)();
  }

  it("waits, a few turnarounds at most, for the follow-up of an answer just sent (the IdP's next request)", async () => {
    const { clock, lane, request, sent } = setup();
    await learnTurnaround(clock, request, 5);
    await clock.advance(2_000); // long after: that answer is expected no longer
    const l = lane("create");
    const [a, b] = [{}, {}];
    const lookups = [request(a), request(b)]; // both in flight
    for (const answer of lookups) answer(); // answered now: their creates are on their way
    request(a, () => l.add("a"));
    await clock.advance(4);
    expect(sent).toEqual([]);
    request(b, () => l.add("b"));
    await clock.advance(0);
    expect(sent.map((s) => s.batch)).toEqual([["create:a", "create:b"]]);

    // An answer whose follow-up never comes (the IdP's last user): waited for a few turnarounds only.
    const [c, d] = [{}, {}];
    for (const answer of [request(c), request(d)]) answer();
    request(c, () => l.add("c"));
    await clock.advance(1);
    expect(sent).toHaveLength(1);
    await clock.advance(30);
    expect(sent.map((s) => s.batch)).toEqual([["create:a", "create:b"], ["create:c"]]);
    l.close();
  });

  it("a request that follows an answer long unanswered does not stretch the wait (the turnaround is a median)", async () => {
    const { clock, lane, request, sent } = setup();
    for (let i = 0; i < 3; i++) await learnTurnaround(clock, request, 5);
    request({})(); // a worker's last answer: its follow-up never comes
    await clock.advance(800);
    request({})(); // the next request pairs with it: one gap of 800 ms
    const l = lane("create");
    const [a, b] = [{}, {}];
    for (const answer of [request(a), request(b)]) answer();
    request(a, () => l.add("a")); // b's follow-up is due for a few turnarounds of about 5 ms, not 800
    await clock.advance(20);
    expect(sent.map((s) => s.batch)).toEqual([["create:a"]]);
    l.close();
  });

  it("decides again when who is expected changes: a connection that ends its request, or waits in another lane", async () => {
    const { clock, lane, request, sent, waitingLane } = setup();
    await learnTurnaround(clock, request, 5);
    await clock.advance(2_000);
    const l = lane("create");
    const b = {};
    const endB = request(b); // busy in another stage
    request({}, () => l.add("a"));
    await clock.advance(10);
    expect(sent).toEqual([]);
    endB(); // answered without coming here: now only its follow-up is expected, for a few turnarounds
    await clock.advance(16);
    expect(sent.map((s) => s.batch)).toEqual([["create:a"]]);

    // A busy connection that starts waiting in another lane is no longer waited for.
    const lookups = waitingLane();
    await clock.advance(2_000);
    const c = {};
    const endC = request(c);
    request({}, () => l.add("d"));
    await clock.advance(10);
    expect(sent).toHaveLength(1);
    const cWaits = request(c, () => lookups.add("c"));
    await clock.advance(0);
    expect(sent.map((s) => s.batch)).toEqual([["create:a"], ["create:d"]]);
    endC();
    cWaits();
    lookups.close();
    l.close();
  });

  it("a lone request long after the last answer leaves at once (the bridge is idle again)", async () => {
    const { clock, lane, request, sent } = setup();
    await learnTurnaround(clock, request, 5);
    const l = lane("create");
    request({})(); // an answer whose follow-up never came
    await clock.advance(500);
    request({}, () => l.add("a"));
    await clock.advance(0);
    expect(sent.map((s) => s.batch)).toEqual([["create:a"]]);
    l.close();
  });

  it("a lone connection's requests still leave at once after another's answer whose follow-up never came", async () => {
    const { clock, lane, request, sent } = setup();
    await learnTurnaround(clock, request, 5);
    await clock.advance(2_000);
    const l = lane("create");
    const w = {};
    let answer = request(w); // the connection's lookup, in flight
    request({})(); // meanwhile a one-off request on another socket, answered; nothing follows it
    await clock.advance(20);
    answer();
    // Each request follows the answer just before it; the one-off's answer is not its own.
    for (const n of ["1", "2", "3"]) {
      await clock.advance(5);
      answer = request(w, () => l.add(n));
      await clock.advance(0);
      expect(sent.at(-1)?.batch).toEqual([`create:${n}`]);
      await clock.advance(100);
      answer();
    }
    l.close();
  });

  it("does not wait for a connection whose last item went to this lane (its next stage is elsewhere), unless most arrivals come back to it", async () => {
    const { clock, lane, request, sent } = setup();
    const lookups = lane("get");
    const [a, b] = [{}, {}];
    const endA = request(a, () => lookups.add("a")); // a's lookup has gone; its next request is a create
    await clock.advance(0);
    const endB = request(b, () => lookups.add("b"));
    await clock.advance(0);
    expect(sent.map((s) => s.batch)).toEqual([["get:a"], ["get:b"]]);
    endA();
    endB();

    // Bulk creates: every connection comes back to the same lane, so one that is busy is expected.
    const creates = lane("create");
    const [c, d] = [{}, {}];
    for (let round = 0; round < 5; round++) {
      request(c, () => creates.add(`c${round}`));
      await clock.advance(0);
    }
    request(d); // busy; its last item went to this lane too
    request(c, () => creates.add("c"));
    await clock.advance(10);
    expect(sent.at(-1)?.batch).toEqual(["create:c4"]);
    request(d, () => creates.add("d"));
    await clock.advance(0);
    expect(sent.at(-1)?.batch).toEqual(["create:c", "create:d"]);
    lookups.close();
    creates.close();
  });
});

describe("an item whose deadline passes says what it waited for (429 only for the quota)", () => {
  /** A lane of numbers (item n's caller gives up n ms after `start`) whose calls end when the test says. */
  function setup(options: { slots?: (clock: Clock) => EndpointSlots; permits?: PermitSource } = {}) {
    const clock = new FakeClock();
    const start = clock.now();
    const expired = new Map<number, unknown>();
    const sent: number[][] = [];
    const finish: (() => void)[] = [];
    const lane = new BatchLane<number>({
      clock,
      windowMs: 0,
      slots: options.slots?.(clock) ?? slotsOf(3, clock),
      ...(options.permits ? { permits: options.permits } : {}),
      fullBatch: 10,
      pick: (queue) => queue.splice(0, 10),
      run: (batch) => {
        sent.push(batch);
        return new Promise<void>((resolve) => finish.push(resolve));
      },
      deadlineOf: (n) => start + n,
      expire: (n, why) => void expired.set(n, why),
      fail: (n, error) => void expired.set(n, error),
    });
    return { clock, lane, expired, sent, finish };
  }

  it("behind a slow call of its own lane (Nagle), plenty of quota: 503 (RequestBudgetSpentError), not 429", async () => {
    const { clock, lane, expired, sent, finish } = setup({ permits: { acquire: async () => ({ release: () => {}, giveBack: () => {} }) } });
    lane.add(60_000); // its call takes 20 s
    await clock.advance(0);
    lane.add(5_000);
    await clock.advance(5_000);
    expect(sent).toEqual([[60_000]]);
    expect(expired.get(5_000)).toBeInstanceOf(RequestBudgetSpentError);
    expect((expired.get(5_000) as RequestBudgetSpentError).retryAfterMs).toBeGreaterThan(0);
    for (const f of finish) f();
    lane.close();
  });

  it("waiting for the endpoint's concurrency slot, taken by slow calls: 503, and only who is due then (a later item still goes)", async () => {
    const semaphore = new Semaphore(1);
    const { clock, lane, expired, sent } = setup({ slots: (c) => boundedSlots(semaphore, c, "PUT /customers") });
    const other = await semaphore.acquire(); // another call to the endpoint, slow
    lane.add(100);
    await clock.advance(50);
    lane.add(300);
    await clock.advance(50);
    expect(expired.get(100)).toBeInstanceOf(RequestBudgetSpentError);
    expect(expired.has(300)).toBe(false);
    other();
    await settle();
    expect(sent).toEqual([[300]]);
    lane.close();
  });

  it("refused by the quota: 429 (RateLimitedError) with the quota's own Retry-After", async () => {
    const { clock, lane, expired } = setup({ permits: { acquire: () => Promise.reject(new RateLimitedError(20_000)) } });
    lane.add(5_000);
    await clock.advance(0);
    expect(expired.get(5_000)).toBeInstanceOf(RateLimitedError);
    expect((expired.get(5_000) as RateLimitedError).retryAfterMs).toBe(20_000);
    lane.close();
  });

  it("still waiting for its rate permit at its deadline: 429", async () => {
    const { clock, lane, expired } = setup({ permits: { acquire: () => new Promise<Permit>(() => {}) } });
    lane.add(5_000);
    await clock.advance(5_000);
    expect(expired.get(5_000)).toBeInstanceOf(RateLimitedError);
    lane.close();
  });
});
