import { createHash } from "node:crypto";
import type { Logger } from "pino";
import type { BigCommerceClient, CustomerId, Metafield, MetafieldCreate } from "../../bigcommerce/index.js";
import { Coalescer } from "../coalescer.js";
import { ConflictError, nonEmpty, toCustomerId } from "../../bigcommerce/index.js";

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

export class ExternalIdIndex {
  private readonly writes: Coalescer<MetafieldCreate, Metafield | undefined>;

  constructor(
    private readonly client: BigCommerceClient,
    private readonly logger: Logger,
  ) {
    this.writes = new Coalescer(
      async (items) => {
        const written = await this.client.metafields.create(items);
        return items.map((i) => written.find((w) => w.resource_id === i.resource_id && w.key === i.key));
      },
      { maxBatch: 10, maxInFlight: 2, splitOnFailure: true },
    );
  }

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
   * whose customers came back in one batch) share one metafield batch call. An entry that
   * exists already counts as written; any other failure fails the SCIM write that needed it
   * (which then undoes what it wrote, and the IdP's retry indexes again).
   */
  async add(customerId: CustomerId, externalId: string): Promise<void> {
    try {
      await this.writes.submit({
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

  async remove(customerId: CustomerId, externalId: string): Promise<void> {
    const page = await this.client.metafields.list({ namespace: INDEX_NAMESPACE, key: indexKey(externalId), limit: 250 });
    const ids = nonEmpty(page.data.filter((m) => m.resource_id === customerId).map((m) => m.id));
    if (ids) await this.client.metafields.delete(ids);
  }
}
