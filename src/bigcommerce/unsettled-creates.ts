/**
 * Memory of creates that ended without a definite answer (the response was lost or timed out,
 * and a re-read could not settle it): email -> the names sent and the time of the first attempt.
 * Such a write may still land; when the IdP retries the create, the batcher recognises the
 * customer as the one its earlier attempt made (see create-batcher.ts) instead of answering 409.
 *
 * One interface, two homes: in this process (InMemoryUnsettledCreates, the default), or shared
 * by replicas in Redis (src/shared-state/redis-unsettled-creates.ts), so that a retry landing on
 * another replica is recognised too. Emails are passed lower-cased (`emailKey`).
 */
export interface UnsettledCreate {
  first_name: string;
  last_name: string;
  /** The earliest attempt of this create (clock ms): the one whose write may land. */
  firstAttemptAt: number;
}

export interface UnsettledCreates {
  /**
   * Notes a create without a definite answer at time `at`. The same create again (same names)
   * keeps the earlier first attempt; different names replace the record.
   */
  remember(emailKey: string, attempt: UnsettledCreate, at: number): Promise<void>;
  /** The record for this email, unless it is older than the memory span. */
  recall(emailKey: string, now: number): Promise<UnsettledCreate | undefined>;
  /** The create was settled (a customer was handed to a caller). */
  forget(emailKey: string): Promise<void>;
}

/** How long, and (in one process) how many, creates without a definite answer are remembered. */
export const UNSETTLED_MEMORY_MS = 10 * 60_000;
export const UNSETTLED_MAX = 10_000;

/** The rule both homes apply when a create is noted again. */
export function mergeUnsettled(before: UnsettledCreate | undefined, attempt: UnsettledCreate): UnsettledCreate {
  const sameNames = before?.first_name === attempt.first_name && before.last_name === attempt.last_name;
  return {
    first_name: attempt.first_name,
    last_name: attempt.last_name,
    firstAttemptAt: before && sameNames ? Math.min(before.firstAttemptAt, attempt.firstAttemptAt) : attempt.firstAttemptAt,
  };
}

export class InMemoryUnsettledCreates implements UnsettledCreates {
  /** Insertion order = time order (a record noted again is re-inserted at the end). */
  private readonly records = new Map<string, UnsettledCreate & { at: number }>();

  constructor(
    private readonly memoryMs = UNSETTLED_MEMORY_MS,
    private readonly max = UNSETTLED_MAX,
  ) {}

  async remember(emailKey: string, attempt: UnsettledCreate, at: number): Promise<void> {
    const merged = mergeUnsettled(this.records.get(emailKey), attempt);
    this.records.delete(emailKey);
    this.records.set(emailKey, { ...merged, at });
    this.prune(at);
  }

  async recall(emailKey: string, now: number): Promise<UnsettledCreate | undefined> {
    this.prune(now);
    const record = this.records.get(emailKey);
    return record && { first_name: record.first_name, last_name: record.last_name, firstAttemptAt: record.firstAttemptAt };
  }

  async forget(emailKey: string): Promise<void> {
    this.records.delete(emailKey);
  }

  /** Records held (tests, diagnostics). */
  get size(): number {
    return this.records.size;
  }

  private prune(now: number): void {
    for (const [email, record] of this.records) {
      if (now - record.at <= this.memoryMs && this.records.size <= this.max) break;
      this.records.delete(email); // oldest first
    }
  }
}
