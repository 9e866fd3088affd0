/**
 * The queue mechanics under every batched BigCommerce call, independent of what is batched:
 * items are collected for a short window (same tick by default), then cut into batches by a
 * `pick` function, with at most `maxInFlight` batches running. Whatever arrives while every slot
 * is busy is sent as soon as a batch finishes. Items a batch gives back (to be re-sent) go to
 * the front, so they keep their place before later items.
 *
 * With `permits` (the store's rate governor) a batch is formed only when a request slot has
 * been granted: the lane asks for one slot at a time, and when it comes takes everything that
 * fits in one call. On an idle bridge the slot is granted at once, so a lone item leaves
 * without delay; under quota pressure items pile up while the lane waits, and every call
 * leaves full. A slot granted on the pacing line may be held a moment (`Permit.fillForMs`, at
 * most half a slot) until the call is full. A slot the governor cannot grant before the
 * earliest queued deadline fails the items it cannot serve in time (through `expire`) rather
 * than letting them wait for nothing.
 *
 * Every item has a deadline (its caller's bound on waiting). An item still queued at its
 * deadline is taken out and handed to `expire` (which rejects it with an error saying nothing
 * was sent), both by a timer and by a sweep before every `pick`: nothing is ever sent after its
 * caller gave up. Items given back to a closed lane go to `expire`'s sibling `onClosed`.
 *
 * A lane of writes (`refuse` given) also keeps each item's write guard (write-guard.ts), taken
 * from the work that added it: an item whose guard refuses is never queued, is taken out and
 * handed to `refuse` before every `pick` (so it is not in the batch; the rest goes), and each
 * batch runs under the combined guard of its items, which the transport checks again right
 * before the call leaves.
 */
import type { Clock } from "./clock.js";
import { RateLimitedError } from "./errors.js";
import type { Permit, PermitSource } from "./governor.js";
import { BatchTally, currentCallTally, runWithCallTally, type CallTally } from "./call-tally.js";
import { BatchGuard, currentWriteGuard, refusalOf, runWithWriteGuard, type WriteGuard } from "./write-guard.js";
import { currentDeadline, runWithDeadline, runWithoutDeadline, type RequestDeadline } from "./deadline.js";

export interface BatchLaneOptions<P> {
  clock: Clock;
  /** How long to collect after the first item arrives in an idle lane (0 = same tick). */
  windowMs: number;
  maxInFlight: number;
  /** Removes the next batch from `queue` (in place) and returns it; empty when nothing fits now. */
  pick: (queue: P[]) => P[];
  /**
   * Sends one batch and settles each item; must not reject. `permit` (with `permits`) is the
   * request slot granted for it: pass it to the call that sends the batch. `guard`: the batch's
   * combined write guard, under which `run` runs (`guard.refused(error)` tells a call it
   * refused, which sent nothing).
   */
  run: (batch: P[], permit: Permit | undefined, guard: BatchGuard) => Promise<void>;
  /** Late binding: form a batch only when one of these has granted a request slot. */
  permits?: PermitSource;
  /**
   * Items in a full call (with `permits`). While a batch of this lane is in flight, another
   * goes only when it is full; a partial one waits for the in-flight batch to end (Nagle's
   * rule for batches): a lone item on an idle lane still leaves at once, and a steady stream
   * fills its calls instead of spending the store's shared quota on third-full ones. (Checked
   * on the queue before a slot is asked for; `pick` may still cut fewer, e.g. one per id.)
   */
  fullBatch?: number;
  /** The item's deadline (clock ms); it is never picked at or after it. */
  deadlineOf?: (item: P) => number;
  /** Settles an item taken out of the queue at its deadline. */
  expire?: (item: P) => void;
  /** Settles an item given back (requeueFront) after the lane was closed. */
  onClosed?: (item: P) => void;
  /**
   * Settles an item when the slot source failed for another reason than the quota (e.g. the
   * shared quota in Redis did not answer): nothing was sent, and its caller hears that error,
   * not a rate limit. Without it such items expire like items the quota cannot serve.
   */
  fail?: (item: P, error: unknown) => void;
  /**
   * A lane of writes: settles an item whose write guard refused, with the guard's error. Only
   * with it are guards captured (a read under a lost lease may still go).
   */
  refuse?: (item: P, error: unknown) => void;
}

export class BatchLane<P> {
  private queue: P[] = [];
  private inFlight = 0;
  private timer: AbortController | undefined;
  private readonly expiryTimers = new Map<P, AbortController>();
  /** The write guard of each item added under one, kept until the item leaves the lane for good. */
  private readonly guards = new Map<P, WriteGuard>();
  /** The call tally (call-tally.ts) of each item added under one: whose work a batch carries. */
  private readonly tallies = new Map<P, CallTally>();
  /** The deadline of the SCIM request that added each item (deadline.ts). */
  private readonly deadlines = new WeakMap<object, RequestDeadline>();
  private readonly batchesInFlight = new Set<P[]>();
  private closed = false;
  /** A request slot has been asked for and not yet used (at most one at a time). */
  private asking = false;
  /** A granted slot kept a moment to fill its call (holdToFill). */
  private holding: { timer: AbortController; permit: Permit; until: number; cut: () => void } | undefined;
  /** Aborted by close(): cancels backoff sleeps of batches that are about to re-send. */
  private readonly closing = new AbortController();

  constructor(private readonly options: BatchLaneOptions<P>) {}

  get pending(): number {
    return this.queue.length;
  }

  get running(): number {
    return this.inFlight;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Aborts when the lane closes (for backoff sleeps between attempts). */
  get closeSignal(): AbortSignal {
    return this.closing.signal;
  }

  add(item: P): void {
    if (this.closed) {
      this.options.onClosed?.(item);
      return;
    }
    const { refuse } = this.options;
    const guard = refuse ? currentWriteGuard() : undefined;
    if (refuse && guard) {
      // Refused on submission: cheap, and the caller need not wait for a slot to hear it.
      const refused = refusalOf(guard);
      if (refused) {
        refuse(item, refused.error);
        return;
      }
      this.guards.set(item, guard);
    }
    const tally = currentCallTally();
    if (tally) this.tallies.set(item, tally);
    const deadline = currentDeadline();
    if (deadline) this.deadlines.set(item as object, deadline);
    this.queue.push(item);
    this.armExpiry(item);
    if (this.holding && this.holdIsOver(this.holding.until)) this.holding.cut();
    else this.arm();
  }

  /** Puts items back at the front, in the given order (the lane flushes when the batch ends). */
  requeueFront(items: readonly P[]): void {
    if (this.closed) {
      for (const item of items) this.options.onClosed?.(item);
      return;
    }
    this.queue.unshift(...items);
    for (const item of items) this.armExpiry(item);
  }

  /**
   * Runs `work`, a call that carries `item` alone (an item of a failed batch sent again by
   * itself, while its batch is in flight), under that item's own call tally and deadline rather
   * than the batch's: its call serves that one request, which neither counts for the others nor
   * waits past that request's deadline.
   */
  asItem<T>(item: P, work: () => T): T {
    const tally = new BatchTally([this.tallies.get(item)]);
    const deadline = this.deadlines.get(item as object);
    const counted = () => runWithCallTally(tally, work);
    return deadline ? runWithDeadline(deadline, counted) : runWithoutDeadline(counted);
  }

  /** Stops the lane and hands back everything not yet sent. */
  close(): P[] {
    this.closed = true;
    this.closing.abort(new Error("batch lane closed"));
    this.timer?.abort();
    this.timer = undefined;
    if (this.holding) {
      this.holding.timer.abort();
      this.holding.permit.giveBack();
      this.holding = undefined;
    }
    for (const t of this.expiryTimers.values()) t.abort();
    this.expiryTimers.clear();
    this.guards.clear();
    this.tallies.clear();
    const left = this.queue;
    this.queue = [];
    return left;
  }

  private arm(): void {
    if (this.timer || this.closed) return;
    const timer = new AbortController();
    this.timer = timer;
    this.options.clock.sleep(this.options.windowMs, timer.signal).then(
      () => {
        if (this.timer === timer) this.timer = undefined;
        this.flush();
      },
      () => {},
    );
  }

  /** Flushes again at `at` (e.g. when a blocked id may go again). */
  wakeAt(at: number): void {
    if (this.closed) return;
    const { clock } = this.options;
    const wait = (): void => {
      clock.sleep(Math.max(0, at - clock.now()), this.closing.signal).then(
        () => {
          // Timers may fire a millisecond early (or the wall clock step back): sleep again
          // rather than find the id still blocked and leave it waiting for its deadline.
          if (clock.now() < at) wait();
          else this.flush();
        },
        () => {},
      );
    };
    wait();
  }

  private armExpiry(item: P): void {
    const { deadlineOf, expire, clock } = this.options;
    if (!deadlineOf || !expire || this.expiryTimers.has(item)) return;
    const abort = new AbortController();
    this.expiryTimers.set(item, abort);
    clock.sleep(Math.max(0, deadlineOf(item) - clock.now()), abort.signal).then(
      () => {
        if (this.expiryTimers.get(item) !== abort) return;
        this.expiryTimers.delete(item);
        const i = this.queue.indexOf(item);
        if (i < 0) return;
        this.queue.splice(i, 1);
        this.forget(item);
        expire(item);
        // Its removal may unblock later items (e.g. of the same id).
        this.flush();
      },
      () => {},
    );
  }

  private disarmExpiry(item: P): void {
    const abort = this.expiryTimers.get(item);
    if (!abort) return;
    this.expiryTimers.delete(item);
    abort.abort();
  }

  private holds(item: P): boolean {
    return this.queue.includes(item) || [...this.batchesInFlight].some((batch) => batch.includes(item));
  }

  /** An item leaves the lane for good (settled here, or by its batch). */
  private forget(item: P): void {
    this.disarmExpiry(item);
    this.guards.delete(item);
    this.tallies.delete(item);
  }

  /** Takes out every queued item that may not go now: its deadline passed, or its guard refuses. */
  private sweep(): void {
    this.sweepExpired();
    this.sweepRefused();
  }

  private sweepRefused(): void {
    const { refuse } = this.options;
    if (!refuse || this.guards.size === 0) return;
    const refusals = new Map<P, unknown>();
    for (const item of this.queue) {
      const guard = this.guards.get(item);
      const refused = guard && refusalOf(guard);
      if (refused) refusals.set(item, refused.error);
    }
    if (refusals.size === 0) return;
    this.queue = this.queue.filter((item) => !refusals.has(item));
    for (const [item, error] of refusals) {
      this.forget(item);
      refuse(item, error);
    }
  }

  /** Takes out every queued item whose deadline has passed. */
  private sweepExpired(): void {
    const { deadlineOf, expire, clock } = this.options;
    if (!deadlineOf || !expire) return;
    const now = clock.now();
    const keep: P[] = [];
    const gone: P[] = [];
    for (const item of this.queue) (now >= deadlineOf(item) ? gone : keep).push(item);
    if (gone.length === 0) return;
    this.queue = keep;
    for (const item of gone) {
      this.forget(item);
      expire(item);
    }
  }

  private flush(): void {
    if (this.options.permits) {
      this.askForPermit(this.options.permits);
      return;
    }
    while (!this.closed && this.inFlight < this.options.maxInFlight && this.queue.length > 0) {
      this.sweep();
      if (this.queue.length === 0) break;
      const batch = this.options.pick(this.queue);
      if (batch.length === 0) break;
      this.send(batch, undefined);
    }
  }

  private send(batch: P[], permit: Permit | undefined): void {
    for (const item of batch) this.disarmExpiry(item);
    this.inFlight += 1;
    // Always under the batch's own guard: never under that of whichever caller's work happened
    // to trigger this flush (AsyncLocalStorage follows the callbacks that led here).
    const guard = new BatchGuard(batch.map((item) => this.guards.get(item)));
    this.batchesInFlight.add(batch);
    const tally = new BatchTally(batch.map((item) => this.tallies.get(item)));
    // A call serves all its items' requests: its exchange may run until the last of them gives up.
    const deadlines = batch.map((item) => this.deadlines.get(item as object));
    const latest = deadlines.every((d) => d !== undefined) ? deadlines.reduce((a, b) => (b.at > a.at ? b : a)) : undefined;
    const run = () => runWithCallTally(tally, () => runWithWriteGuard(guard, () => this.options.run(batch, permit, guard)));
    void (latest ? runWithDeadline(latest, run) : runWithoutDeadline(run))
      .catch(() => {
        /* run settles its own items; nothing may escape here */
      })
      .finally(() => {
        this.batchesInFlight.delete(batch);
        // Items given back (requeueFront) keep their guard, even when already sent again.
        for (const item of batch) {
          if (this.holds(item)) continue;
          this.guards.delete(item);
          this.tallies.delete(item);
        }
        // A run that never got as far as sending leaves its slot unused.
        permit?.giveBack();
        this.inFlight -= 1;
        this.flush();
      });
  }

  /** Late binding: one slot at a time; the batch is cut when it is granted. */
  private askForPermit(permits: PermitSource): void {
    if (this.closed || this.asking || this.inFlight >= this.options.maxInFlight) return;
    this.sweep();
    if (this.queue.length === 0 || !this.mayGoNow()) return;
    const { deadlineOf } = this.options;
    this.asking = true;
    permits
      .acquire({
        ...(deadlineOf ? { deadline: Math.min(...this.queue.map(deadlineOf)) } : {}),
        signal: this.closing.signal,
        // While others wait too, the slot goes to the fullest call: this one, as it fills.
        fill: () => this.fill(),
      })
      .then(
        (permit) => {
          const fillForMs = permit.fillForMs ?? 0;
          if (!this.closed && fillForMs > 0) {
            // Held only for items that may still go: a slot for none goes back at once (held, it
            // would count as spent and only push back everyone else's next slot).
            this.sweep();
            if (this.queue.length > 0 && !this.holdIsOver(this.options.clock.now() + fillForMs)) {
              this.holdToFill(permit, fillForMs);
              return;
            }
          }
          this.asking = false;
          this.cutWith(permit);
        },
        (error: unknown) => {
          this.asking = false;
          if (this.closed) return;
          this.refuseUnservable(error);
          this.flush();
        },
      );
  }

  /** Cuts the batch for a granted slot and sends it (or gives the slot back when nothing may go). */
  private cutWith(permit: Permit): void {
    this.sweep();
    const batch = this.closed || this.queue.length === 0 ? [] : this.options.pick(this.queue);
    if (batch.length === 0) {
      // Nothing may go now (expired, or blocked until a batch ends or a wake-up): the next add,
      // batch end or wake-up asks again.
      permit.giveBack();
      return;
    }
    this.send(batch, permit);
    this.flush();
  }

  /**
   * A slot granted while pacing holds the bridge back may be kept a moment to fill the call
   * (Permit.fillForMs): the batch is cut when it is full or when the moment is over, whichever
   * comes first. The lane keeps `asking` meanwhile, so it holds one slot at the most.
   */
  private holdToFill(permit: Permit, forMs: number): void {
    const timer = new AbortController();
    const cut = (): void => {
      if (this.holding?.timer !== timer) return;
      this.holding = undefined;
      timer.abort();
      this.asking = false;
      this.cutWith(permit);
    };
    this.holding = { timer, permit, until: this.options.clock.now() + forMs, cut };
    this.options.clock.sleep(forMs, timer.signal).then(cut, () => {});
  }

  /**
   * A slot held until `until` must be used now: the call is full, or a queued item's deadline
   * comes before the moment is over (it would expire while its slot is held, and sweep never
   * sends an item at or after its deadline).
   */
  private holdIsOver(until: number): boolean {
    if (this.fill() >= 1) return true;
    const { deadlineOf } = this.options;
    return deadlineOf !== undefined && this.queue.some((item) => deadlineOf(item) <= until);
  }

  /** How full the next call would be (1 = a full call, `fullBatch` items). */
  private fill(): number {
    return this.queue.length / (this.options.fullBatch ?? 1);
  }

  /** Nagle's rule for batches: a partial call only when none of this lane is in flight. */
  private mayGoNow(): boolean {
    return this.inFlight === 0 || this.fill() >= 1;
  }

  /** The governor cannot grant a slot in time for some items: they fail now, as never sent. */
  private refuseUnservable(error: unknown): void {
    const { deadlineOf, expire, clock, fail } = this.options;
    if (fail && !(error instanceof RateLimitedError)) {
      // Not the quota: the slot source itself failed (Redis down). Every item hears why.
      const gone = this.queue;
      this.queue = [];
      for (const item of gone) {
        this.forget(item);
        fail(item, error);
      }
      return;
    }
    if (!deadlineOf || !expire) return;
    const horizon = error instanceof RateLimitedError ? clock.now() + error.retryAfterMs : Number.POSITIVE_INFINITY;
    const earliest = Math.min(...this.queue.map(deadlineOf));
    const gone = this.queue.filter((item) => deadlineOf(item) <= horizon || deadlineOf(item) === earliest);
    this.queue = this.queue.filter((item) => !gone.includes(item));
    for (const item of gone) {
      this.forget(item);
      expire(item);
    }
  }
}
