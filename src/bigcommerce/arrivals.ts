/**
 * Who may still arrive at a batch lane: the facts behind the lane's hold for arrivals
 * (batch-lane.ts, "the waiting rules", rule 2).
 *
 * An identity provider sends over a few connections (often 2 to 10), each going round the same
 * cycle (e.g. Entra's first sync: a userName lookup, then a create, whose index write follows),
 * waiting for each answer before its next request. When c connections are busy and k of them
 * wait in this lane, the others are in flight in another stage of their cycle (an upstream call
 * of another lane, or the bridge's own work between two calls), and will be here within about
 * one upstream exchange. A call that is not full waits for them, at most about one exchange
 * (`holdMs`): cohorts of connections that drifted apart (one half a stage behind the other, each
 * filling half a call per stage) merge into one, and stay merged, since then every connection
 * arrives with the others and nothing waits.
 *
 * Expected too, briefly: the next request after each answer just sent. An IdP's sync engine
 * sends a connection's next request a few milliseconds after its answer (its turnaround), and a
 * lane that cut its call in that gap would split a cohort that was about to be whole
 * (IdpConnections, below).
 *
 * Not expected: a connection waiting in any lane (it waits itself: two lanes holding for each
 * other's waiting connections would only stall); an idle one (between requests, past the grace;
 * so on an idle bridge a lone request leaves at once); and one whose last item went to this same
 * lane, as its next stage is elsewhere (a lookup's connection goes on to its create), unless the
 * lane feeds itself: most arrivals come from the lane itself, as in bulk creates. A connection is
 * named by its socket (`IdpConnections.serve`, around each SCIM request in the HTTP layer). Work
 * outside any SCIM request (start-up, the group directory's refresh) has no caller.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { systemClock, type Clock } from "./clock.js";

/** Any object naming an IdP connection (the HTTP layer passes the request's socket). */
export type Caller = object;

const callers = new AsyncLocalStorage<Caller>();

/**
 * The IdP's turnaround is the median of this many recent gaps: robust to the odd gap that pairs a
 * request with an answer whose own follow-up never came (a worker that had finished).
 */
const TURNAROUND_SAMPLES = 15;
/** A gap longer than this is a connection at rest, not an IdP's turnaround between requests. */
const MAX_TURNAROUND_MS = 1_000;
/** An answer's follow-up request is due for this many typical turnarounds after it. */
const TURNAROUND_GRACE = 3;

/**
 * The IdP connections a bridge is serving SCIM requests on, shared by its HTTP layer (which
 * reports them) and its client (whose lanes expect them). One per bridge (compose.ts).
 *
 * Work may come at any moment from a connection serving a request, and, for a short grace, from
 * an IdP that just got an answer: its sync engine sends the cycle's next request after its own
 * turnaround (a few milliseconds for a sync engine), and a lane that cut its call in that gap
 * would split a cohort that was about to be whole. Answers are counted, not connections: an IdP's
 * HTTP client pools its sockets, so the next request of the same worker may come on any of them.
 * Each request that starts takes the latest answer still waiting for its follow-up (the gap
 * between them is a turnaround observed; the IdP's turnaround is the median of the recent ones);
 * an answer not followed within the grace (a few turnarounds) is expected no longer. The latest,
 * not the oldest: after an answer whose follow-up never came (the IdP's last user, a one-off
 * request on another socket), taking the oldest would pair every later request with the answer
 * before its own, so its own answer would still look due while it is served (a lone
 * connection's every call would wait) and each turnaround observed would be a whole cycle. No
 * grace until a turnaround was observed, so a lone request on an idle bridge still leaves at once.
 */
export class IdpConnections {
  /** Callers serving SCIM requests now, and how many each. */
  private readonly busy = new Map<Caller, number>();
  /** When recent answers ended whose follow-up has not come yet, oldest first. */
  private readonly answered: number[] = [];
  /** The latest observed turnarounds (at most TURNAROUND_SAMPLES), and their median. */
  private readonly gaps: number[] = [];
  private turnaroundMs: number | undefined;
  /** Told when a request ends (who is expected has changed). */
  private readonly listeners = new Set<() => void>();

  constructor(private readonly clock: Clock = systemClock) {}

  /**
   * Runs `fn` as work of `caller` (whatever it queues in a batch lane counts as that caller's
   * arrival), which is busy until `end()` is called (when the SCIM request's answer is done).
   */
  serve<T>(caller: Caller, fn: () => T): { result: T; end: () => void } {
    const now = this.clock.now();
    this.forgetAnswersBefore(now - MAX_TURNAROUND_MS);
    const answeredAt = this.answered.pop();
    if (answeredAt !== undefined) this.observeTurnaround(now - answeredAt);
    this.busy.set(caller, (this.busy.get(caller) ?? 0) + 1);
    let ended = false;
    const end = (): void => {
      if (ended) return;
      ended = true;
      const left = (this.busy.get(caller) ?? 1) - 1;
      if (left > 0) this.busy.set(caller, left);
      else this.busy.delete(caller);
      this.answered.push(this.clock.now());
      for (const listener of this.listeners) listener();
    };
    return { result: callers.run(caller, fn), end };
  }

  /** Calls `listener` each time a request ends. */
  onEnd(listener: () => void): void {
    this.listeners.add(listener);
  }

  /** Callers serving a SCIM request now. */
  busyCallers(): Iterable<Caller> {
    return this.busy.keys();
  }

  /** Until when a follow-up to a recent answer may still come (undefined: none is due). */
  followUpsDueUntil(): number | undefined {
    const now = this.clock.now();
    this.forgetAnswersBefore(now - MAX_TURNAROUND_MS);
    const latest = this.answered.at(-1);
    if (latest === undefined || this.turnaroundMs === undefined) return undefined;
    const until = latest + Math.ceil(TURNAROUND_GRACE * this.turnaroundMs) + 1;
    return until > now ? until : undefined;
  }

  private forgetAnswersBefore(at: number): void {
    while (this.answered.length > 0 && this.answered[0]! < at) this.answered.shift();
  }

  private observeTurnaround(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0 || ms > MAX_TURNAROUND_MS) return;
    this.gaps.push(ms);
    if (this.gaps.length > TURNAROUND_SAMPLES) this.gaps.shift();
    const sorted = [...this.gaps].sort((a, b) => a - b);
    this.turnaroundMs = sorted[Math.floor(sorted.length / 2)];
  }
}

/** The caller of the work now running, if any. */
export function currentCaller(): Caller | undefined {
  return callers.getStore();
}

/** What a lane tells the client's Arrivals: which callers wait in it now. */
export interface LaneCensus {
  queuedCallers(): Iterable<Caller>;
  /** Who is expected has changed: a lane holding for arrivals decides again. */
  recheck(): void;
}

/** Weight of the latest exchange in the running estimate of an upstream exchange's duration. */
const LATENCY_WEIGHT = 0.2;
/** The hold lasts at most this many typical exchanges (room for an answer's jitter). */
const HOLD_EXCHANGES = 1.25;
/** A hold never lasts longer than this, however slow the store. */
const MAX_HOLD_MS = 2_000;

/**
 * One per client: every lane's census (who waits where), the callers its lanes have seen, and
 * the observed duration of an upstream exchange, which bounds every hold for arrivals.
 */
export class Arrivals {
  private readonly lanes = new Set<LaneCensus>();
  /** The lane each caller's latest item went to. */
  private readonly lastLane = new WeakMap<Caller, LaneCensus>();
  private typicalMs: number | undefined;

  /** A recheck of every lane is queued (one per tick, however many changes come in it). */
  private recheckQueued = false;

  /** `connections`: the bridge's (without them, as for a bare client, nobody is expected). */
  constructor(private readonly connections: IdpConnections = new IdpConnections()) {
    connections.onEnd(() => this.changed());
  }

  register(lane: LaneCensus): void {
    this.lanes.add(lane);
  }

  /**
   * `caller`'s item reached `lane`: true when its previous item had gone to the same lane, false
   * when to another, undefined for the caller's first item.
   */
  arrived(caller: Caller, lane: LaneCensus): boolean | undefined {
    const last = this.lastLane.get(caller);
    this.lastLane.set(caller, lane);
    // The caller waits now: lanes holding for it (from another stage) need not any more.
    this.changed();
    return last === undefined ? undefined : last === lane;
  }


  /**
   * Someone's state changed (a request ended, a caller reached a lane): every lane holding for
   * arrivals decides again, in the next microtask, so a hold ends the moment nobody is expected
   * (or is re-timed to the end of a follow-up's grace) instead of at its bound.
   */
  private changed(): void {
    if (this.recheckQueued) return;
    this.recheckQueued = true;
    queueMicrotask(() => {
      this.recheckQueued = false;
      for (const lane of this.lanes) lane.recheck();
    });
  }

  /** An upstream exchange took `ms` (the transport's onCall). */
  observeExchange(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) return;
    this.typicalMs = this.typicalMs === undefined ? ms : this.typicalMs + LATENCY_WEIGHT * (ms - this.typicalMs);
  }

  /** How long a lane may hold a call for arrivals (0 before any exchange was observed). */
  holdMs(): number {
    return this.typicalMs === undefined ? 0 : Math.min(MAX_HOLD_MS, Math.ceil(HOLD_EXCHANGES * this.typicalMs));
  }

  /**
   * Until when someone may arrive at `lane` (undefined: nobody is expected; Infinity: a caller
   * serving a request). Expected: callers serving a request, not waiting in any lane and (unless
   * `feedsItself`) whose last item did not go to `lane`; and follow-ups to recent answers
   * (IdpConnections.followUpsDueUntil).
   */
  expectedUntil(lane: LaneCensus, feedsItself: boolean): number | undefined {
    const waiting = new Set<Caller>();
    for (const l of this.lanes) for (const caller of l.queuedCallers()) waiting.add(caller);
    for (const caller of this.connections.busyCallers()) {
      if (!waiting.has(caller) && (feedsItself || this.lastLane.get(caller) !== lane)) return Number.POSITIVE_INFINITY;
    }
    return this.connections.followUpsDueUntil();
  }
}
