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
 * Not expected: a connection waiting in any lane (it waits itself: two lanes holding for each
 * other's waiting connections would only stall); an idle one (between requests; so on an idle
 * bridge a lone request leaves at once); and one whose last item went to this same lane, as its
 * next stage is elsewhere (a lookup's connection goes on to its create), unless the lane feeds
 * itself: most arrivals come from the lane itself, as in bulk creates. A connection is named by its socket
 * (`IdpConnections.serve`, around each SCIM request in the HTTP layer). Work outside any SCIM
 * request (start-up, the group directory's refresh) has no caller.
 */
import { AsyncLocalStorage } from "node:async_hooks";

/** Any object naming an IdP connection (the HTTP layer passes the request's socket). */
export type Caller = object;

const callers = new AsyncLocalStorage<Caller>();

/**
 * The IdP connections a bridge is serving SCIM requests on, shared by its HTTP layer (which
 * reports them) and its client (whose lanes expect them). One per bridge (compose.ts).
 */
export class IdpConnections {
  /** Callers serving SCIM requests now, and how many each. */
  private readonly busy = new Map<Caller, number>();

  /**
   * Runs `fn` as work of `caller` (whatever it queues in a batch lane counts as that caller's
   * arrival), which is busy until `end()` is called (when the SCIM request's answer is done).
   */
  serve<T>(caller: Caller, fn: () => T): { result: T; end: () => void } {
    this.busy.set(caller, (this.busy.get(caller) ?? 0) + 1);
    let ended = false;
    const end = (): void => {
      if (ended) return;
      ended = true;
      const left = (this.busy.get(caller) ?? 1) - 1;
      if (left > 0) this.busy.set(caller, left);
      else this.busy.delete(caller);
    };
    return { result: callers.run(caller, fn), end };
  }

  /** Callers serving a SCIM request now. */
  busyCallers(): Iterable<Caller> {
    return this.busy.keys();
  }
}

/** The caller of the work now running, if any. */
export function currentCaller(): Caller | undefined {
  return callers.getStore();
}

/** What a lane tells the client's Arrivals: which callers wait in it now. */
export interface LaneCensus {
  queuedCallers(): Iterable<Caller>;
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

  /** `connections`: the bridge's (without them, as for a bare client, nobody is expected). */
  constructor(private readonly connections: IdpConnections = new IdpConnections()) {}

  register(lane: LaneCensus): void {
    this.lanes.add(lane);
  }

  /** `caller`'s item reached `lane`; true when its previous item had gone to the same lane. */
  arrived(caller: Caller, lane: LaneCensus): boolean {
    const again = this.lastLane.get(caller) === lane;
    this.lastLane.set(caller, lane);
    return again;
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
   * How many callers are busy, not waiting in any lane and (unless `feedsItself`) did not last
   * go to `lane`: they may arrive there at any moment.
   */
  expected(lane: LaneCensus, feedsItself: boolean): number {
    const waiting = new Set<Caller>();
    for (const l of this.lanes) for (const caller of l.queuedCallers()) waiting.add(caller);
    let count = 0;
    for (const caller of this.connections.busyCallers()) {
      if (!waiting.has(caller) && (feedsItself || this.lastLane.get(caller) !== lane)) count += 1;
    }
    return count;
  }
}
