/**
 * The callers waiting for a request slot, and which of them the next slot goes to. Shared by the
 * in-process governor and the Redis-backed gate of replicas, so both hand out scarce slots by
 * the same rule.
 *
 * The rule: when several callers wait, the slot goes to the one whose call would carry the most
 * work. A batch queue says how full its call would be if it left now (`fill`, 0 to 1); anything
 * else counts as full. Ties go to the oldest. Why: a waiting batch queue keeps filling, so a
 * slot spent on a third-full read while a full write waits is quota the store's other apps
 * lose. Measured on the Entra deactivation cycle through three replicas, first come first
 * served let the IdP's connections drift into two half-size cohorts whose lookups left in two
 * calls instead of one.
 *
 * So that a thin call is never starved, a waiter passed over MAX_PASSES times by younger ones
 * goes next regardless of fill. A waiter at position p (oldest first) therefore gets a slot
 * within p + MAX_PASSES + 1 grants (p + 1 when its call is full), which is what `slotsAhead`
 * reports for wait estimates. (Where this order sits among everything a SCIM request waits
 * for: batch-lane.ts, "the waiting rules".)
 */
export const MAX_PASSES = 2;

export interface SlotWaiter {
  /** How full this caller's call would be if it left now, 0 to 1; absent = a full call. */
  readonly fill?: () => number;
}

interface Entry<W> {
  waiter: W;
  passedOver: number;
}

export class SlotQueue<W extends SlotWaiter> {
  private entries: Entry<W>[] = [];

  get length(): number {
    return this.entries.length;
  }

  /** Everyone waiting, oldest first. */
  all(): W[] {
    return this.entries.map((e) => e.waiter);
  }

  add(waiter: W): void {
    this.entries.push({ waiter, passedOver: 0 });
  }

  /** Takes a waiter out (it gave up, was refused or aborted); false if it was not queued. */
  remove(waiter: W): boolean {
    const i = this.entries.findIndex((e) => e.waiter === waiter);
    if (i < 0) return false;
    this.entries.splice(i, 1);
    return true;
  }

  /** Takes out every waiter `gone` says (e.g. whose deadline passed), oldest first. */
  removeWhere(gone: (waiter: W) => boolean): W[] {
    const out = this.entries.filter((e) => gone(e.waiter));
    if (out.length > 0) this.entries = this.entries.filter((e) => !out.includes(e));
    return out.map((e) => e.waiter);
  }

  /** Takes out everyone, oldest first. */
  drain(): W[] {
    const all = this.all();
    this.entries = [];
    return all;
  }

  /** Takes out the waiter the next slot goes to (undefined when none waits). */
  takeNext(): W | undefined {
    const chosen = this.chooseIndex();
    if (chosen === undefined) return undefined;
    for (let i = 0; i < chosen; i++) (this.entries[i] as Entry<W>).passedOver += 1;
    return (this.entries.splice(chosen, 1)[0] as Entry<W>).waiter;
  }

  /**
   * Every waiter, oldest first, with the number of grants that may go before its own at the most
   * (for wait estimates: the governor refuses a caller whose worst case misses its deadline).
   */
  withSlotsAhead(): Array<{ waiter: W; slotsAhead: number }> {
    // Only a caller whose call is not full can be passed over (ties go to the oldest).
    return this.entries.map((e, position) => ({
      waiter: e.waiter,
      slotsAhead: position + (fillOf(e.waiter) < 1 ? Math.max(0, MAX_PASSES - e.passedOver) : 0),
    }));
  }

  private chooseIndex(): number | undefined {
    if (this.entries.length === 0) return undefined;
    let best = 0;
    let bestFill = -1;
    for (let i = 0; i < this.entries.length; i++) {
      const entry = this.entries[i] as Entry<W>;
      if (entry.passedOver >= MAX_PASSES) return i;
      const fill = fillOf(entry.waiter);
      if (fill > bestFill) {
        best = i;
        bestFill = fill;
      }
    }
    return best;
  }
}

function fillOf(waiter: SlotWaiter): number {
  const fill = waiter.fill?.() ?? 1;
  return Number.isFinite(fill) ? Math.min(1, Math.max(0, fill)) : 1;
}
