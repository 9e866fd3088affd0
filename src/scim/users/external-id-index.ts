import { createHash } from "node:crypto";
import type { Logger } from "pino";
import type { BigCommerceClient, CustomerId } from "../../bigcommerce/api.js";
import { nonEmpty, toCustomerId } from "../../bigcommerce/ids.js";

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

interface PendingEntry {
  customerId: CustomerId;
  externalId: string;
  done: () => void;
}

const INDEX_BATCH = 10;

export class ExternalIdIndex {
  private pending: PendingEntry[] = [];
  private flushing = false;

  constructor(
    private readonly client: BigCommerceClient,
    private readonly logger: Logger,
  ) {}

  /** Customer ids indexed under this externalId (normally zero or one). */
  async lookup(externalId: string): Promise<CustomerId[]> {
    const page = await this.client.metafields.list({ namespace: INDEX_NAMESPACE, key: indexKey(externalId), limit: 250 });
    return page.data
      .filter((m) => m.value === externalId)
      .map((m) => toCustomerId(m.resource_id))
      .filter((id): id is CustomerId => id !== null);
  }

  /**
   * Indexes a customer's externalId. Entries written at the same moment (a burst of creates
   * whose customers came back in one batch) share one metafield batch call. A failure is
   * logged, not thrown: the customer exists either way, and failing the SCIM create would
   * make the IdP retry into a 409.
   */
  add(customerId: CustomerId, externalId: string): Promise<void> {
    return new Promise((resolve) => {
      this.pending.push({ customerId, externalId, done: resolve });
      if (!this.flushing) {
        this.flushing = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0, INDEX_BATCH);
      try {
        await this.client.metafields.create(
          batch.map((e) => ({
            resource_id: e.customerId,
            namespace: INDEX_NAMESPACE,
            key: indexKey(e.externalId),
            value: e.externalId,
            permission_set: "app_only" as const,
            description: "SCIM externalId index (scim-bigcommerce-bridge)",
          })),
        );
      } catch (err) {
        this.logger.warn(
          { err: { code: (err as { code?: string }).code, message: (err as Error).message }, customerIds: batch.map((e) => e.customerId) },
          "externalId index not written; externalId filters will not find these customers",
        );
      }
      for (const e of batch) e.done();
    }
    this.flushing = false;
  }

  async remove(customerId: CustomerId, externalId: string): Promise<void> {
    const page = await this.client.metafields.list({ namespace: INDEX_NAMESPACE, key: indexKey(externalId), limit: 250 });
    const ids = nonEmpty(page.data.filter((m) => m.resource_id === customerId).map((m) => m.id));
    if (ids) await this.client.metafields.delete(ids);
  }
}
