import { createHash } from "node:crypto";
import type { Logger } from "pino";
import type { BigCommerceClient, CustomerId } from "../../bigcommerce/index.js";
import { ConflictError, nonEmpty, runWithoutDeadline, toCustomerId } from "../../bigcommerce/index.js";
import { InProcessPendingIndex, type PendingIndexEntries } from "./pending-index.js";

/**
 * BigCommerce cannot filter customers by an attribute value, so `externalId eq "x"` would be a
 * scan. The bridge keeps an index instead: one app-only customer metafield per user whose key
 * is a hash of the externalId (metafields can be listed by key across customers). A lookup is
 * one metafield GET plus one customer GET. The value itself lives in a customer attribute, so
 * reads never need the index.
 */
export const INDEX_NAMESPACE = "scim_bridge";

export function indexKey(externalId: string): string {
  return `ext.${createHash("sha256").update(externalId, "utf8").digest("hex").slice(0, 56)}`;
}

/** A written-behind index entry: attempts before a warning, spacing of attempts, and when to give up (start-up repair then restores it). */
const BEHIND_ATTEMPTS = 4;
const BEHIND_RETRY_MS = 2000;
const BEHIND_MAX_RETRY_MS = 60_000;
export const BEHIND_GIVE_UP_MS = 3_600_000;

export class ExternalIdIndex {
  /** Entries being written behind (add()), until written or given up. */
  private readonly behind = new Set<Promise<void>>();
  /** Aborted by close(): write-behinds still trying stop (their client is closed). */
  private readonly closing = new AbortController();

  constructor(
    private readonly client: BigCommerceClient,
    private readonly logger: Logger,
    /**
     * Entries written behind and not yet confirmed (see add()): in this process, or shared by
     * replicas through Redis, so that any replica's lookup sees them.
     */
    private readonly pending: PendingIndexEntries = new InProcessPendingIndex(),
  ) {}

  /** Customer ids indexed under this externalId (normally zero or one). */
  async lookup(externalId: string): Promise<CustomerId[]> {
    // Pending entries first: one confirmed while the metafields are read has been removed from
    // the pending ones only after its metafield was written, so the read below finds it.
    const key = indexKey(externalId);
    const pending = await this.pending.lookup(key);
    const page = await this.client.metafields.list({ namespace: INDEX_NAMESPACE, key, limit: 250 });
    const ids = page.data
      .filter((m) => m.value === externalId)
      .map((m) => toCustomerId(m.resource_id))
      .filter((id): id is CustomerId => id !== null);
    return [...new Set([...ids, ...pending])];
  }

  /**
   * Indexes a customer's externalId. An entry that exists already counts as written.
   * `strict` (updates) writes now and rethrows failures: the request fails before anything
   * else is written, and the IdP's retry indexes again. Otherwise (creates) the entry is
   * written behind: this returns once the entry is pending (lookups on any replica see it),
   * concurrent entries share metafield batch calls (client.metafields.createOne), a failed
   * write is tried again a few times, and one still missing after that (or lost in a crash)
   * is restored by repair() at start-up. Failing the SCIM create instead would make the IdP
   * retry into a 409. If the entry cannot be noted as pending (Redis down), it is written now.
   */
  async add(customerId: CustomerId, externalId: string, options: { strict?: boolean } = {}): Promise<void> {
    if (options.strict) {
      await this.write(customerId, externalId);
      return;
    }
    try {
      await this.pending.add(indexKey(externalId), customerId);
    } catch (err) {
      this.logger.warn({ err: { message: (err as Error).message }, customerId }, "could not note an externalId index entry as pending; writing it now");
      await this.write(customerId, externalId);
      return;
    }
    // Work of its own, not bound by the create's deadline: its retries come after that has passed
    // (under it, each would expire in its batch lane without being sent, for the whole hour).
    const writing = runWithoutDeadline(() => this.writeBehind(customerId, externalId));
    this.behind.add(writing);
    void writing.finally(() => this.behind.delete(writing));
  }

  /**
   * Resolves once every entry written behind so far is written (or given up), or after
   * `withinMs`: a stopping process waits for them briefly instead of leaving them to the next
   * start-up's repair (which SCIM_INDEX_REPAIR_HOURS=0 turns off).
   */
  async settled(withinMs = Number.POSITIVE_INFINITY): Promise<void> {
    const all = Promise.all(this.behind).then(() => undefined);
    if (!Number.isFinite(withinMs)) return all;
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, withinMs);
    });
    await Promise.race([all, bound]).finally(() => clearTimeout(timer));
  }

  /**
   * The bridge closes (after settled() had its few seconds): write-behinds still trying stop now
   * instead of retrying for up to an hour against a closed client, which would keep this bridge
   * in memory all that time (a tenant is closed at every change of it). What they leave is
   * restored by the next start-up's repair, as after a crash.
   */
  close(): void {
    this.closing.abort();
  }

  async remove(customerId: CustomerId, externalId: string): Promise<void> {
    const key = indexKey(externalId);
    await this.pending.remove(key, customerId);
    const page = await this.client.metafields.list({ namespace: INDEX_NAMESPACE, key, limit: 250 });
    const ids = nonEmpty(page.data.filter((m) => m.resource_id === customerId).map((m) => m.id));
    if (ids) await this.client.metafields.delete(ids);
  }

  /**
   * A deleted customer's entry: BigCommerce deletes its metafields with the customer, so only the
   * pending entry is left to drop. Once it is gone, lookups stop naming the customer and a
   * write-behind still trying for it gives up (writeBehind, which asks the store whether the
   * customer is gone: an entry merely lost from the pending ones is still written).
   */
  async forget(customerId: CustomerId, externalId: string): Promise<void> {
    await this.pending.remove(indexKey(externalId), customerId);
  }

  /**
   * Whether an entry written behind is still wanted; when that cannot be told, it is. Pending, it
   * is. Not pending, it was forgotten only if its customer is gone: the pending entries may have
   * lost it while the customer lives (Redis keeps no data over a restart, and its entries expire),
   * and giving up then would leave the customer unindexed until a start-up repair, without a word.
   */
  private async stillWanted(customerId: CustomerId, externalId: string): Promise<boolean> {
    try {
      if ((await this.pending.lookup(indexKey(externalId))).includes(customerId)) return true;
      return (await this.client.customers.get(customerId)) !== undefined;
    } catch {
      return true;
    }
  }

  private async write(customerId: CustomerId, externalId: string): Promise<void> {
    try {
      await this.client.metafields.createOne({
        resource_id: customerId,
        namespace: INDEX_NAMESPACE,
        key: indexKey(externalId),
        value: externalId,
        permission_set: "app_only",
        description: "SCIM externalId index (scim-bigcommerce-bridge)",
      });
    } catch (err) {
      if (err instanceof ConflictError) return;
      throw err;
    }
  }

  private async writeBehind(customerId: CustomerId, externalId: string): Promise<void> {
    const started = Date.now();
    for (let attempt = 1; ; attempt++) {
      // Forgotten since the last attempt (its customer deleted): not written.
      if (attempt > 1 && !(await this.stillWanted(customerId, externalId))) return;
      try {
        await this.write(customerId, externalId);
        await this.pending.remove(indexKey(externalId), customerId).catch((err: unknown) => {
          // The metafield is written: a pending entry left behind only repeats what it says,
          // and it expires (shared-state) or goes with the process.
          this.logger.warn({ err: { message: (err as Error).message }, customerId }, "could not clear a pending externalId index entry");
        });
        return;
      } catch (err) {
        const detail = { err: { code: (err as { code?: string }).code, message: (err as Error).message }, customerId };
        if (this.closing.signal.aborted) return this.leftToRepair(detail);
        // Lookups find the user through the pending entry meanwhile; keep trying (BigCommerce
        // may be down for a while), less and less often, for up to BEHIND_GIVE_UP_MS.
        if (Date.now() - started > BEHIND_GIVE_UP_MS) {
          this.logger.error(detail, "externalId index entry still not written; it is restored at the next start-up (SCIM_INDEX_REPAIR_HOURS)");
          return;
        }
        if (attempt === BEHIND_ATTEMPTS) this.logger.warn(detail, "externalId index entry not written yet; still trying");
        await pause(Math.min(BEHIND_MAX_RETRY_MS, BEHIND_RETRY_MS * attempt), this.closing.signal);
        if (this.closing.signal.aborted) return this.leftToRepair(detail);
      }
    }
  }

  private leftToRepair(detail: object): void {
    this.logger.warn(detail, "externalId index entry not written before the bridge closed; the next start-up's repair restores it (SCIM_INDEX_REPAIR_HOURS)");
  }

  /**
   * Start-up repair for entries written behind but lost with the process (a crash before the
   * metafield batch left): every externalId attribute value modified since `since` must have its
   * index entry; missing ones are written now. Returns how many were restored. The window must
   * cover the time since the process that may have crashed last answered a create (the default,
   * SCIM_INDEX_REPAIR_HOURS, is generous); the cost is one read per 250 values plus one per 50
   * keys checked.
   */
  async repair(externalIdAttributeId: number, since: Date): Promise<number> {
    let restored = 0;
    const sinceIso = since.toISOString().replace(/\.\d{3}Z$/, "Z");
    for (let page = 1; ; page++) {
      const values = await this.client.attributeValues.list({
        "attribute_id:in": [externalIdAttributeId],
        "date_modified:min": sinceIso,
        page,
        limit: 250,
      });
      const wanted = values.data.filter((v) => v.attribute_value !== "");
      for (let i = 0; i < wanted.length; i += 50) {
        const chunk = wanted.slice(i, i + 50);
        const existing = await this.client.metafields.list({
          namespace: INDEX_NAMESPACE,
          "key:in": [...new Set(chunk.map((v) => indexKey(v.attribute_value)))],
          limit: 250,
        });
        const have = new Set(existing.data.map((m) => `${m.resource_id}\u0000${m.value}`));
        for (const v of chunk) {
          const customerId = toCustomerId(v.customer_id);
          if (!customerId || have.has(`${customerId}\u0000${v.attribute_value}`)) continue;
          await this.write(customerId, v.attribute_value);
          restored += 1;
        }
      }
      if (values.data.length < 250 || page >= values.pagination.total_pages) return restored;
    }
  }
}

/** Waits `ms`, or less when `signal` aborts first (the timer and the listener go either way). */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    timer.unref();
    signal.addEventListener("abort", done, { once: true });
  });
}
