/**
 * Reads of single customers that arrive together share one GET /v3/customers: reads by id one
 * `id:in` call, lookups by email (SCIM `userName eq` / `emails eq`) one `email:in` call. Each
 * caller gets only its own customers back. The calls are late-bound (batch-lane.ts): a read
 * waits for a request slot, and when one is granted it takes every queued read that fits, so
 * under quota pressure twenty concurrent lookups cost one call, and on an idle bridge a lone
 * lookup leaves at once.
 *
 * What fits in one call: at most MAX_VALUES list values and MAX_LIST_CHARS characters of the
 * encoded list (a URL stays far below the 8 KB proxies accept). A value containing a comma is
 * refused before anything is queued: BigCommerce would split it into two values.
 */
import { boundedBy } from "./deadline.js";
import { CUSTOMER_INCLUDE, type Customer, type CustomerId, type CustomerInclude, type CustomerListQuery, type Page } from "./api.js";
import { BatchLane } from "./batch-lane.js";
import type { Arrivals } from "./arrivals.js";
import type { Clock } from "./clock.js";
import type { EndpointSlots } from "./concurrency.js";
import { InvalidQueryError, RateLimitedError } from "./errors.js";
import type { Grant, PermitSource } from "./governor.js";
import { foldEmail } from "../email-fold.js";

/** List values per call: the page size (250) can then never cut an answer short. */
export const MAX_VALUES = 100;
/** Reads in a full call (for the slot order and the holds; more may ride along). */
const FULL_READ = 20;
/** Characters of the encoded `id:in`/`email:in` list per call. */
export const MAX_LIST_CHARS = 3000;

export interface CustomerReads {
  list(query: CustomerListQuery, signal?: AbortSignal, options?: { deadline?: number; grant?: Grant }): Promise<Page<Customer>>;
}

interface ReadRequest {
  /** The list values this read needs (ids as decimal strings, emails as given). */
  values: string[];
  /** Does this customer answer this read? */
  wants: (customer: Customer) => boolean;
  deadline: number;
  resolve: (customers: Customer[]) => void;
  reject: (error: unknown) => void;
}

export interface MergedReadsOptions {
  reads: CustomerReads;
  clock: Clock;
  /** GET /v3/customers's concurrency slots (concurrency.ts), shared by both lanes and every other read. */
  slots: EndpointSlots;
  permits?: PermitSource;
  /** The client's Arrivals (batch-lane.ts, rule 2). */
  arrivals?: Arrivals;
  maxWaitMs: number;
  /** What every read includes (default: the attribute values). */
  include?: readonly CustomerInclude[];
}

const listChars = (values: Iterable<string>) => {
  let n = 0;
  for (const v of values) n += encodeURIComponent(v).length + 3; // "%2C" between values
  return n;
};

export class MergedReads {
  private readonly byId: BatchLane<ReadRequest>;
  private readonly byEmail: BatchLane<ReadRequest>;

  constructor(private readonly options: MergedReadsOptions) {
    this.byId = this.lane("id:in");
    this.byEmail = this.lane("email:in");
  }

  /** The customer with this id (with its attribute values), or undefined. */
  async get(id: CustomerId): Promise<Customer | undefined> {
    const found = await this.submit(this.byId, [String(id)], (c) => c.id === id);
    return found[0];
  }

  /**
   * Customers whose email is one of these, compared ignoring case (with their attribute values).
   * Pass the spellings to ask BigCommerce for (e.g. as given and lower-cased).
   */
  findByEmails(emails: readonly string[]): Promise<Customer[]> {
    const values = [...new Set(emails)];
    if (values.length === 0) return Promise.resolve([]);
    if (values.some((e) => e.includes(",") || e.trim() === "")) {
      return Promise.reject(new InvalidQueryError("an email in an email:in lookup is empty or contains a comma"));
    }
    // What BigCommerce returns is re-checked under the bridge's one folding rule (ASCII only).
    const wanted = new Set(values.map(foldEmail));
    return this.submit(this.byEmail, values, (c) => wanted.has(foldEmail(c.email)));
  }

  close(error: Error): void {
    for (const lane of [this.byId, this.byEmail]) for (const r of lane.close()) r.reject(error);
  }

  private submit(lane: BatchLane<ReadRequest>, values: string[], wants: (c: Customer) => boolean): Promise<Customer[]> {
    return new Promise<Customer[]>((resolve, reject) => {
      lane.add({ values, wants, deadline: boundedBy(this.options.clock.now() + this.options.maxWaitMs), resolve, reject });
    });
  }

  private lane(param: "id:in" | "email:in"): BatchLane<ReadRequest> {
    const { clock, permits, slots, arrivals } = this.options;
    return new BatchLane<ReadRequest>({
      clock,
      windowMs: 0,
      slots,
      fullBatch: FULL_READ,
      ...(permits ? { permits } : {}),
      ...(arrivals ? { arrivals } : {}),
      pick: (queue) => pickFitting(queue),
      run: (batch, grant) => this.run(param, batch, grant),
      deadlineOf: (r) => r.deadline,
      expire: (r, why) => r.reject(why),
      onClosed: (r) => r.reject(new RateLimitedError(1000, "BigCommerce client is closed")),
      fail: (r, error) => r.reject(error),
    });
  }

  private async run(param: "id:in" | "email:in", batch: ReadRequest[], grant: Grant | undefined): Promise<void> {
    const values = [...new Set(batch.flatMap((r) => r.values))];
    try {
      const query: CustomerListQuery =
        param === "id:in"
          ? { "id:in": values.map(Number) as CustomerId[], include: this.options.include ?? CUSTOMER_INCLUDE, limit: 250 }
          : { "email:in": values, include: this.options.include ?? CUSTOMER_INCLUDE, limit: 250 };
      const page = await this.options.reads.list(query, undefined, {
        deadline: Math.min(...batch.map((r) => r.deadline)),
        ...(grant ? { grant } : {}),
      });
      for (const r of batch) r.resolve(page.data.filter(r.wants));
    } catch (error) {
      // A read changes nothing: every caller of the shared call gets its failure.
      for (const r of batch) r.reject(error);
    }
  }
}

/** FIFO: every queued read whose values still fit in one call (the first always goes). */
function pickFitting(queue: ReadRequest[]): ReadRequest[] {
  const batch: ReadRequest[] = [];
  const values = new Set<string>();
  for (let i = 0; i < queue.length; ) {
    const r = queue[i] as ReadRequest;
    const merged = new Set([...values, ...r.values]);
    if (batch.length > 0 && (merged.size > MAX_VALUES || listChars(merged) > MAX_LIST_CHARS)) {
      i += 1;
      continue;
    }
    queue.splice(i, 1);
    batch.push(r);
    for (const v of r.values) values.add(v);
  }
  return batch;
}
