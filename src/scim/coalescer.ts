import { ConflictError, ValidationFailedError } from "../bigcommerce/index.js";

/**
 * Lets concurrent SCIM requests share one BigCommerce call. Items submitted in the same turn of
 * the event loop, or while the previous calls are in flight, go out together (up to
 * `maxBatch` per call, `maxInFlight` calls at once); each submitter gets its own result.
 * When a shared call fails because of what one item holds (a validation error or a conflict)
 * and `splitOnFailure` is set, its items are retried one by one, in turn, so that one
 * request's bad item cannot fail its neighbours. Other failures (429, outages) fail the whole
 * batch: splitting them would only multiply calls when the quota is already used up.
 */
const isItemError = (err: unknown) => err instanceof ValidationFailedError || err instanceof ConflictError;

export interface CoalescerOptions {
  maxBatch: number;
  maxInFlight: number;
  splitOnFailure: boolean;
}

interface Entry<I, O> {
  item: I;
  resolve: (value: O) => void;
  reject: (reason: unknown) => void;
}

export class Coalescer<I, O> {
  private readonly queue: Entry<I, O>[] = [];
  private inFlight = 0;
  private scheduled = false;

  constructor(
    /** Runs one call for these items; returns one result per item, in order. */
    private readonly run: (items: I[]) => Promise<O[]>,
    private readonly options: CoalescerOptions,
  ) {}

  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => {
          this.scheduled = false;
          this.pump();
        });
      }
    });
  }

  private pump(): void {
    while (this.inFlight < this.options.maxInFlight && this.queue.length > 0) {
      const batch = this.queue.splice(0, this.options.maxBatch);
      this.inFlight++;
      void this.execute(batch).finally(() => {
        this.inFlight--;
        this.pump();
      });
    }
  }

  private async execute(batch: Entry<I, O>[]): Promise<void> {
    try {
      const results = await this.run(batch.map((e) => e.item));
      batch.forEach((e, i) => e.resolve(results[i] as O));
    } catch (err) {
      const itemError = isItemError(err);
      if (batch.length === 1 || !this.options.splitOnFailure || !itemError) {
        for (const e of batch) e.reject(err);
        return;
      }
      for (const e of batch) {
        await this.run([e.item]).then(
          ([result]) => e.resolve(result as O),
          (reason: unknown) => e.reject(reason),
        );
      }
    }
  }
}
