/**
 * Which work a BigCommerce call carried, for the audit trail ("the calls a SCIM request took").
 * A request's tally travels with its work through AsyncLocalStorage, like the write guard
 * (write-guard.ts): a call made directly under it counts once for it; a batch lane captures the
 * tally of each item it is given and runs each batch under the tallies of all its items, so a
 * batch call that carried ten requests' work counts once for each of the ten (and not for
 * whichever request's timer happened to send it).
 */
import { AsyncLocalStorage } from "node:async_hooks";

export interface CallTally {
  /** One more upstream call carried this work. */
  count(call: { method: string; endpoint: string; status: number | undefined }): void;
}

const current = new AsyncLocalStorage<CallTally>();

export function runWithCallTally<T>(tally: CallTally, work: () => T): T {
  return current.run(tally, work);
}

/** The tally of the work now running, if any. */
export function currentCallTally(): CallTally | undefined {
  return current.getStore();
}

/** The tallies of the items one batch carries: each distinct one counts the batch's calls once. */
export class BatchTally implements CallTally {
  private readonly tallies: readonly CallTally[];

  constructor(tallies: readonly (CallTally | undefined)[]) {
    this.tallies = [...new Set(tallies.filter((t): t is CallTally => t !== undefined))];
  }

  count(call: { method: string; endpoint: string; status: number | undefined }): void {
    for (const tally of this.tallies) tally.count(call);
  }
}

/** A request's own count of the calls that carried its work. */
export class CallCounter implements CallTally {
  total = 0;
  /** `METHOD endpoint` → calls, e.g. `PUT /v3/customers`. */
  readonly byEndpoint = new Map<string, number>();

  count(call: { method: string; endpoint: string }): void {
    this.total += 1;
    const key = `${call.method} ${call.endpoint}`;
    this.byEndpoint.set(key, (this.byEndpoint.get(key) ?? 0) + 1);
  }
}
