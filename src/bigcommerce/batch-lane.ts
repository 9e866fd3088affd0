/**
 * The queue mechanics under every batched BigCommerce call, independent of what is batched
 * (customer creates and updates: keyed-write-queue.ts; reads by id or email: merged-reads.ts;
 * attribute values and index metafields: shared-writes.ts).
 *
 * THE WAITING RULES, from a SCIM request to the call that carries it. A SCIM request (an IdP's
 * connection, named by `IdpConnections.serve` in the HTTP layer, arrivals.ts) adds one item to a lane and
 * waits for its answer. The item then waits for at most these, in this order, each bounded by
 * the item's deadline (its caller's bound on waiting: it is never sent at or after it, and is
 * handed to `expire`, "nothing was sent", instead, with what it waited for: its rate permit
 * (rule 4 or 5: the quota, RateLimitedError, a 429) or anything else (rules 1 to 3, its key in
 * flight, a backoff: BigCommerce's slowness, RequestBudgetSpentError, a 503), so that an IdP
 * and the operator hear the real cause):
 *
 *   1. The collection window (`windowMs` after the first item reaches an idle lane; 0 = the same
 *      tick): items that arrive together leave together.
 *   2. The holds of a call that would not be full (`fullBatch`); a full one never waits here:
 *      a. Nagle's rule: while a call of this lane is in flight, until it ends (a steady stream
 *         fills its calls instead of spending the store's shared quota on third-full ones).
 *      b. The hold for arrivals (with `arrivals`): while someone may still come with work for
 *         it, at most `Arrivals.holdMs()` (1.25 observed exchanges). Expected: IdP connections
 *         busy serving a SCIM request, not waiting in any lane and not on their way from this
 *         lane to another (they are in flight in the previous stage of their cycle, and will be
 *         here within about one upstream exchange); and, for a few of the IdP's observed
 *         turnarounds, the next request after each answer just sent. The lane decides again
 *         whenever that changes (a request ends, a caller reaches a lane), so the hold ends the
 *         moment nobody is expected. Cohorts of connections that drifted apart merge this way,
 *         and once merged nobody waits. On an idle bridge nobody is expected, so a lone request
 *         leaves at once. On the pacing line too: a lane that holds has not asked for its
 *         permit, so it holds no slot and spends none, and the paced slots that pass meanwhile
 *         are not lost (pacing.ts counts what was spent in the window against the time
 *         elapsed): a held call leaves fuller, not later. Reasons in arrivals.ts.
 *   3. The endpoint's concurrency slot (`slots`, concurrency.ts: BigCommerce's cap per endpoint,
 *      shared with every other call to it): the lane's only cap on calls in flight.
 *   4. The store's rate permit (`permits`: the governor, or the replicas' shared gate). While
 *      others wait too, the next permit goes to the fullest call (slot-queue.ts), this lane's
 *      `fill()` as its queue grows; under quota pressure (pacing.ts) permits come one slot
 *      apart, and everything queued meanwhile rides along.
 *   5. The fill hold: a permit granted on the pacing line may be kept up to half a slot
 *      (`Permit.fillForMs`) until the call is full, or until a queued item's deadline would
 *      come first; the next permit comes no later for it.
 *
 * Then the batch is cut (`pick`: everything that fits in one call, oldest first) and `run` sends
 * it with the slot and permit (`Grant`); the transport (transport.ts) uses them for the first
 * attempt, and takes its own, slot first, for any retry. A lane asks for one slot at a time;
 * items that arrive while it waits join the call it is filling.
 *
 * One timer per lane, at the earliest of: the window's end, the hold's end, the fill hold's
 * end, a wake-up (`wakeAt`), and the earliest queued deadline. Items a batch gives back (to be
 * re-sent) go to the front, so they keep their place before later items. Items given back to a
 * closed lane go to `onClosed`. A slot or permit that cannot be had before the earliest queued
 * deadline fails the items it cannot serve in time (through `expire`).
 *
 * A lane of writes (`refuse` given) also keeps each item's write guard (write-guard.ts), taken
 * from the work that added it: an item whose guard refuses is never queued, is taken out and
 * handed to `refuse` before every `pick` (so it is not in the batch; the rest goes), and each
 * batch runs under the combined guard of its items, which the transport checks again right
 * before the call leaves.
 */
import { currentCaller, type Arrivals, type Caller, type LaneCensus } from "./arrivals.js";
import type { Clock } from "./clock.js";
import type { EndpointSlots } from "./concurrency.js";
import { RateLimitedError } from "./errors.js";
import type { Grant, PermitSource } from "./governor.js";
import { BatchGuard, currentWriteGuard, refusalOf, runWithWriteGuard, type WriteGuard } from "./write-guard.js";
import { BatchTally, currentCallTally, runWithCallTally, type CallTally } from "./call-tally.js";
import { currentDeadline, RequestBudgetSpentError, runWithDeadline, runWithoutDeadline, type RequestDeadline } from "./deadline.js";

/**
 * Why a queued item's deadline passed before it could be sent: the quota (RateLimitedError, with
 * the quota's Retry-After) when it waited for its rate permit, else RequestBudgetSpentError.
 */
export type LaneExpiry = RateLimitedError | RequestBudgetSpentError;

/** Retry-After of an item the lane gives up on for any wait but the quota's (it is not known when BigCommerce frees up). */
const BUSY_RETRY_AFTER_MS = 1000;

/** Weight of the latest arrival in a lane's self-fed share. */
const SELF_FED_WEIGHT = 0.2;

export interface BatchLaneOptions<P> {
  clock: Clock;
  /** How long to collect after the first item arrives in an idle lane (0 = same tick). */
  windowMs: number;
  /** The endpoint's concurrency slots (concurrency.ts): every call takes one first. */
  slots: EndpointSlots;
  /** Removes the next batch from `queue` (in place) and returns it; empty when nothing fits now. */
  pick: (queue: P[]) => P[];
  /**
   * Sends one batch and settles each item; must not reject. `grant`: the endpoint slot and (with
   * `permits`) the rate permit taken for it: pass it to the call that sends the batch. `guard`:
   * the batch's combined write guard, under which `run` runs (`guard.refused(error)` tells a
   * call it refused, which sent nothing).
   */
  run: (batch: P[], grant: Grant, guard: BatchGuard) => Promise<void>;
  /** Late binding: form a batch only when one of these has granted a request slot. */
  permits?: PermitSource;
  /** Items in a full call (for the slot order and both holds; `pick` may still cut fewer). */
  fullBatch?: number;
  /** The client's Arrivals: with it, a call that is not full waits for callers due back (rule 2). */
  arrivals?: Arrivals;
  /** The item's deadline (clock ms); it is never picked at or after it. */
  deadlineOf?: (item: P) => number;
  /** Settles an item taken out of the queue at its deadline (nothing of it was sent), saying why. */
  expire?: (item: P, why: LaneExpiry) => void;
  /**
   * Settles an item when the slot source failed for another reason than the quota or a wait
   * bound (e.g. the shared quota in Redis did not answer): nothing was sent, and its caller hears
   * that error, not a rate limit. Without it such items expire (RequestBudgetSpentError).
   */
  fail?: (item: P, error: unknown) => void;
  /** Settles an item given back (requeueFront) after the lane was closed. */
  onClosed?: (item: P) => void;
  /**
   * A lane of writes: settles an item whose write guard refused, with the guard's error. Only
   * with it are guards captured (a read under a lost lease may still go).
   */
  refuse?: (item: P, error: unknown) => void;
}

export class BatchLane<P> {
  private queue: P[] = [];
  private inFlight = 0;
  /** The lane's one timer, and when it fires. */
  private timer: { at: number; abort: AbortController } | undefined;
  /** Rule 1: the collection window ends then. */
  private windowUntil: number | undefined;
  /** Rule 2: holding for arrivals since, until. */
  private arrivalHold: { since: number; until: number } | undefined;
  /** Times to flush again (`wakeAt`). */
  private wakeUps: number[] = [];
  /** The write guard of each item added under one, kept until the item leaves the lane for good. */
  private readonly guards = new Map<P, WriteGuard>();
  /** The caller (IdP connection) of each item added by one, kept as long as the guard. */
  private readonly callers = new Map<P, Caller>();
  /** The call tally (call-tally.ts) of each item added under one: whose work a batch carries. */
  private readonly tallies = new Map<P, CallTally>();
  /** The deadline of the SCIM request that added each item (deadline.ts). */
  private readonly deadlines = new WeakMap<object, RequestDeadline>();
  private readonly batchesInFlight = new Set<P[]>();
  private closed = false;
  /** A slot (and permit) has been asked for and not yet used (at most one at a time). */
  private asking = false;
  /** The lane holds its slot and waits for the rate permit, or holds the permit to fill its call (rules 4, 5). */
  private awaitingPermit = false;
  /** Rule 5: a granted slot kept a moment to fill its call. */
  private holding: { grant: Grant; until: number } | undefined;
  /** Aborted by close(): cancels waits for slots and permits, and backoff sleeps of batches about to re-send. */
  private readonly closing = new AbortController();

  /** This lane as Arrivals knows it. */
  private readonly census: LaneCensus = {
    queuedCallers: () => this.queuedCallers(),
    recheck: () => {
      if (this.arrivalHold && !this.closed && !this.asking) this.flush();
    },
  };
  /** Share of recent arrivals whose previous item had come to this lane too (bulk creates: all). */
  private selfFed: number | undefined;

  constructor(private readonly options: BatchLaneOptions<P>) {
    options.arrivals?.register(this.census);
  }

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
    const { refuse, arrivals, clock } = this.options;
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
    const caller = arrivals ? currentCaller() : undefined;
    if (caller && arrivals) {
      this.callers.set(item, caller);
      const again = arrivals.arrived(caller, this.census);
      // The first item of a connection says nothing; the first that does sets the share.
      if (again !== undefined) this.selfFed = this.selfFed === undefined ? Number(again) : this.selfFed + SELF_FED_WEIGHT * (Number(again) - this.selfFed);
    }
    const tally = currentCallTally();
    if (tally) this.tallies.set(item, tally);
    const deadline = currentDeadline();
    if (deadline) this.deadlines.set(item as object, deadline);
    this.queue.push(item);
    if (this.holding) {
      if (this.holdIsOver(this.holding.until)) this.cutHeld();
      else this.schedule();
      return;
    }
    this.windowUntil ??= clock.now() + this.options.windowMs;
    this.schedule();
  }

  /** Puts items back at the front, in the given order (the lane flushes when the batch ends). */
  requeueFront(items: readonly P[]): void {
    if (this.closed) {
      for (const item of items) this.options.onClosed?.(item);
      return;
    }
    this.queue.unshift(...items);
    this.schedule();
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
    this.cancelTimer();
    if (this.holding) {
      this.holding.grant.permit?.giveBack();
      this.holding.grant.slot();
      this.holding = undefined;
    }
    this.guards.clear();
    this.callers.clear();
    this.tallies.clear();
    const left = this.queue;
    this.queue = [];
    return left;
  }

  /** Flushes again at `at` (e.g. when a blocked id may go again). */
  wakeAt(at: number): void {
    if (this.closed) return;
    this.wakeUps.push(at);
    this.schedule();
  }

  /** The callers whose items wait in this lane now (Arrivals' census). */
  private *queuedCallers(): Iterable<Caller> {
    for (const item of this.queue) {
      const caller = this.callers.get(item);
      if (caller) yield caller;
    }
  }

  /** Sets the lane's one timer at the earliest moment something is due (none when nothing is). */
  private schedule(): void {
    if (this.closed) return;
    const { deadlineOf, expire } = this.options;
    let at = Number.POSITIVE_INFINITY;
    if (this.windowUntil !== undefined) at = Math.min(at, this.windowUntil);
    if (this.arrivalHold) at = Math.min(at, this.arrivalHold.until);
    if (this.holding) at = Math.min(at, this.holding.until);
    for (const wake of this.wakeUps) at = Math.min(at, wake);
    if (deadlineOf && expire) for (const item of this.queue) at = Math.min(at, deadlineOf(item));
    if (at === Number.POSITIVE_INFINITY) {
      this.cancelTimer();
      return;
    }
    if (this.timer?.at === at) return;
    this.cancelTimer();
    const { clock } = this.options;
    const abort = new AbortController();
    this.timer = { at, abort };
    clock.sleep(Math.max(0, at - clock.now()), abort.signal).then(
      () => {
        if (this.timer?.abort !== abort) return;
        this.timer = undefined;
        this.tick();
      },
      () => {},
    );
  }

  private cancelTimer(): void {
    this.timer?.abort.abort();
    this.timer = undefined;
  }

  /**
   * The timer fired: whatever is due now is done. (Timers may fire a millisecond early, or the
   * clock step back: what is not yet due stays, and schedule() sets the timer for it again.)
   */
  private tick(): void {
    const now = this.options.clock.now();
    if (this.windowUntil !== undefined && now >= this.windowUntil) this.windowUntil = undefined;
    this.wakeUps = this.wakeUps.filter((at) => at > now);
    if (this.holding && now >= this.holding.until) this.cutHeld();
    else this.flush();
  }

  /** An item leaves the lane for good (settled here, or by its batch). */
  private forget(item: P): void {
    this.guards.delete(item);
    this.callers.delete(item);
    this.tallies.delete(item);
  }

  private holds(item: P): boolean {
    return this.queue.includes(item) || [...this.batchesInFlight].some((batch) => batch.includes(item));
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
    const why = this.expiry();
    for (const item of gone) {
      this.forget(item);
      expire(item, why);
    }
  }

  /**
   * What an item whose deadline passes now waited for: the quota while the lane waits for its
   * permit (Retry-After: when the permit source says requests are held back, at least 1 s; the
   * source's own refusal, refuseUnservable, carries its estimate), else BigCommerce's slowness.
   */
  private expiry(): LaneExpiry {
    if (this.awaitingPermit) {
      const blockedMs = this.options.permits?.blockedForMs?.() ?? 0;
      return new RateLimitedError(Math.max(1000, blockedMs), "no BigCommerce rate permit for this call within its wait bound; nothing was sent");
    }
    return new RequestBudgetSpentError(
      BUSY_RETRY_AFTER_MS,
      "BigCommerce's calls in flight left no turn for this call within its wait bound (the quota was not the cause); nothing was sent",
    );
  }

  /** Does what is due: sweeps, cuts a fill hold that is over, or asks for a slot (rules 1-3). */
  private flush(): void {
    if (this.closed) return;
    this.sweep();
    if (this.holding) {
      if (this.holdIsOver(this.holding.until)) {
        this.cutHeld();
        return;
      }
    } else if (this.queue.length === 0) {
      this.arrivalHold = undefined;
    } else if (!this.asking && this.mayAsk()) {
      this.asking = true;
      void this.take();
    }
    this.schedule();
  }

  /** Rules 1 and 2: the window is over, and no hold applies. */
  private mayAsk(): boolean {
    const now = this.options.clock.now();
    if (this.windowUntil !== undefined && now < this.windowUntil) return false;
    // Nagle's rule: a partial call waits while one of this lane is in flight (its end flushes).
    if (this.inFlight > 0 && this.fill() < 1) return false;
    const until = this.holdForArrivals(now);
    this.arrivalHold = until === undefined ? undefined : { since: this.arrivalHold?.since ?? now, until };
    return until === undefined;
  }

  /** Rule 2b: until when a call that is not full waits for arrivals (undefined: it goes). */
  private holdForArrivals(now: number): number | undefined {
    const { arrivals } = this.options;
    if (!arrivals || this.fill() >= 1) return undefined;
    const horizon = arrivals.holdMs();
    const end = (this.arrivalHold?.since ?? now) + horizon;
    // Never held close to a queued item's deadline: it still needs its slot and permit.
    if (end <= now || end + horizon > this.earliestDeadline()) return undefined;
    const due = arrivals.expectedUntil(this.census, (this.selfFed ?? 0) > 0.5);
    return due === undefined || due <= now ? undefined : Math.min(end, due);
  }

  private earliestDeadline(): number {
    const { deadlineOf } = this.options;
    return deadlineOf ? Math.min(...this.queue.map(deadlineOf)) : Number.POSITIVE_INFINITY;
  }

  /** Rules 3 to 5: one slot, then one permit, then perhaps a fill hold, then the cut. */
  private async take(): Promise<void> {
    const { slots, permits, clock } = this.options;
    let slot: () => void;
    try {
      slot = await slots.acquire(this.earliestDeadline(), this.closing.signal);
    } catch (error) {
      this.refused(error);
      return;
    }
    this.sweep();
    if (this.closed || this.queue.length === 0) {
      // Nothing left to send (expired or refused while the lane waited): the slot goes back.
      slot();
      this.asking = false;
      this.schedule();
      return;
    }
    if (!permits) {
      this.asking = false;
      this.cutWith({ slot });
      return;
    }
    let grant: Grant;
    this.awaitingPermit = true;
    try {
      const deadline = this.earliestDeadline();
      const permit = await permits.acquire({
        ...(Number.isFinite(deadline) ? { deadline } : {}),
        signal: this.closing.signal,
        // While others wait too, the slot goes to the fullest call: this one, as it fills.
        fill: () => this.fill(),
      });
      grant = { slot, permit };
    } catch (error) {
      slot();
      this.refused(error);
      return;
    }
    const fillForMs = grant.permit?.fillForMs ?? 0;
    if (!this.closed && fillForMs > 0) {
      // Held only for items that may still go: a slot for none goes back at once (held, it
      // would count as spent and only push back everyone else's next slot).
      this.sweep();
      const until = clock.now() + fillForMs;
      if (this.queue.length > 0 && !this.holdIsOver(until)) {
        this.holding = { grant, until };
        this.schedule();
        return;
      }
    }
    this.asking = false;
    this.cutWith(grant);
  }

  /** A slot or permit was refused (or the lane closed while it waited). */
  private refused(error: unknown): void {
    this.asking = false;
    this.awaitingPermit = false;
    if (this.closed) return;
    this.refuseUnservable(error);
    this.flush();
  }

  /** Cuts the batch for a granted slot and sends it (or gives the slot back when nothing may go). */
  private cutWith(grant: Grant): void {
    this.sweep();
    this.awaitingPermit = false;
    const batch = this.closed || this.queue.length === 0 ? [] : this.options.pick(this.queue);
    if (batch.length === 0) {
      // Nothing may go now (expired, or blocked until a batch ends or a wake-up): the next add,
      // batch end or wake-up asks again.
      grant.permit?.giveBack();
      grant.slot();
      this.schedule();
      return;
    }
    this.send(batch, grant);
    this.flush();
  }

  /** Rule 5 ends: the held slot's call is cut now. */
  private cutHeld(): void {
    const held = this.holding;
    if (!held) return;
    this.holding = undefined;
    this.asking = false;
    this.cutWith(held.grant);
  }

  /**
   * A slot held until `until` must be used now: the call is full, or a queued item's deadline
   * comes before the moment is over (it would expire while its slot is held, and sweep never
   * sends an item at or after its deadline).
   */
  private holdIsOver(until: number): boolean {
    return this.fill() >= 1 || this.earliestDeadline() <= until;
  }

  /** How full the next call would be (1 = a full call, `fullBatch` items). */
  private fill(): number {
    return this.queue.length / (this.options.fullBatch ?? 1);
  }

  private send(batch: P[], grant: Grant): void {
    this.inFlight += 1;
    // Always under the batch's own guard: never under that of whichever caller's work happened
    // to trigger this flush (AsyncLocalStorage follows the callbacks that led here).
    const guard = new BatchGuard(batch.map((item) => this.guards.get(item)));
    this.batchesInFlight.add(batch);
    const tally = new BatchTally(batch.map((item) => this.tallies.get(item)));
    // A call serves all its items' requests: its exchange may run until the last of them gives up.
    const deadlines = batch.map((item) => this.deadlines.get(item as object));
    const latest = deadlines.every((d) => d !== undefined) ? deadlines.reduce((a, b) => (b.at > a.at ? b : a)) : undefined;
    const run = () => runWithCallTally(tally, () => runWithWriteGuard(guard, () => this.options.run(batch, grant, guard)));
    void (latest ? runWithDeadline(latest, run) : runWithoutDeadline(run))
      .catch(() => {
        /* run settles its own items; nothing may escape here */
      })
      .finally(() => {
        this.batchesInFlight.delete(batch);
        // Items given back (requeueFront) keep their guard, even when already sent again.
        for (const item of batch) if (!this.holds(item)) this.forget(item);
        // A run that never got as far as sending leaves its slot and permit unused.
        grant.permit?.giveBack();
        grant.slot();
        this.inFlight -= 1;
        this.flush();
      });
  }

  /** The slot or permit cannot come in time for some items: they fail now, as never sent. */
  private refuseUnservable(error: unknown): void {
    const { deadlineOf, expire, clock, fail } = this.options;
    const quota = error instanceof RateLimitedError ? error : undefined;
    const late = error instanceof RequestBudgetSpentError ? error : undefined;
    if (fail && !quota && !late) {
      // Neither the quota nor a wait bound: the slot source itself failed (Redis down). Every item hears why.
      const gone = this.queue;
      this.queue = [];
      for (const item of gone) {
        this.forget(item);
        fail(item, error);
      }
      return;
    }
    if (!deadlineOf || !expire || this.queue.length === 0) return;
    const now = clock.now();
    // The quota's refusal says when a permit could come: who cannot wait that long goes now, with
    // its Retry-After. A slot that did not come by the earliest deadline fails who is due by now.
    const earliest = this.earliestDeadline();
    const gone = this.queue.filter((item) =>
      quota ? deadlineOf(item) <= now + quota.retryAfterMs || deadlineOf(item) === earliest : late ? deadlineOf(item) <= now : true,
    );
    this.queue = this.queue.filter((item) => !gone.includes(item));
    const why: LaneExpiry = quota ?? late ?? new RequestBudgetSpentError(BUSY_RETRY_AFTER_MS);
    for (const item of gone) {
      this.forget(item);
      expire(item, why);
    }
  }
}
