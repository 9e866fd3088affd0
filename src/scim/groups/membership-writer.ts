import type { BigCommerceClient, CustomerGroupId, CustomerId } from "../../bigcommerce/index.js";
import { readBridgeAttributes, type AttributeCatalog } from "../../mapping/bridge-attributes.js";
import { ScimError } from "../errors.js";
import type { WriteLock } from "../keyed-lock.js";
import type { UserReader } from "../users/user-reader.js";

/**
 * Moves customers into and out of one customer group. Each customer is handled under the same
 * per-user lock as user writes, reading its state inside the lock (concurrent reads share one
 * `id:in` call; writes share the client's PUT batches). A deactivated customer parked in the
 * deactivated group is not moved: the group it returns to on reactivation is changed instead.
 * A customer is only taken out of a group it is actually in, so a stale remove never touches a
 * customer that has meanwhile joined another group.
 */
export class MembershipWriter {
  constructor(
    private readonly client: BigCommerceClient,
    private readonly reader: UserReader,
    private readonly catalog: AttributeCatalog,
    private readonly lock: WriteLock,
    private readonly parkingGroupId: number | null,
  ) {}

  async apply(groupId: CustomerGroupId, join: Iterable<CustomerId>, leave: Iterable<CustomerId>): Promise<void> {
    const work = [...new Set(join)].map((id) => this.move(id, groupId, "join"));
    const joining = new Set(join);
    for (const id of new Set(leave)) if (!joining.has(id)) work.push(this.move(id, groupId, "leave"));
    const results = await Promise.allSettled(work);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed) throw failed.reason;
  }

  /**
   * Deactivated customers parked in the deactivated group who will return to `groupId` on
   * reactivation: a member list that replaces the group's members must cancel their return too.
   * One call per 250 parked customers; none when no deactivated group is configured.
   */
  async parkedReturningTo(groupId: number): Promise<CustomerId[]> {
    if (this.parkingGroupId === null) return [];
    const out: CustomerId[] = [];
    for (let page = 1; ; page++) {
      const result = await this.client.customers.list({ "customer_group_id:in": [this.parkingGroupId], include: ["attributes"], page, limit: 250 });
      for (const c of result.data) {
        const values = readBridgeAttributes(c, this.catalog).values;
        // Deactivated, or a deactivation left half-done (flag not recorded): either way the
        // remembered group is where reactivation puts the customer (user-writer.ts).
        if (Number(values.groupBeforeDeactivation ?? 0) === groupId) out.push(c.id as CustomerId);
      }
      if (result.data.length < 250 || page >= result.pagination.total_pages) return out;
    }
  }

  private move(id: CustomerId, groupId: number, direction: "join" | "leave"): Promise<void> {
    return this.lock.run(String(id), async () => {
      // Only "no such customer" means there is nothing to move; any other failure (BigCommerce
      // down, rate limit) fails the whole request, so the IdP retries instead of believing it.
      const customer = await this.reader.getCustomer(String(id)).catch((err: unknown) => {
        if (err instanceof ScimError && err.status === 404) return null;
        throw err;
      });
      if (!customer) return; // not a customer of this store (any more): nothing to move
      const bridge = readBridgeAttributes(customer, this.catalog);
      // Parked: deactivated, or a deactivation left half-done (flag not recorded, group remembered),
      // which any later reactivation or write finishes by restoring the remembered group.
      const parked =
        this.parkingGroupId !== null &&
        customer.customer_group_id === this.parkingGroupId &&
        (bridge.values.active === "false" || Boolean(bridge.values.groupBeforeDeactivation));
      const effective = parked ? Number(bridge.values.groupBeforeDeactivation ?? 0) || 0 : customer.customer_group_id;
      const target = direction === "join" ? groupId : 0;
      if (direction === "join" ? effective === groupId : effective !== groupId) return;
      if (!parked) {
        await this.client.customers.update({ id, customer_group_id: target });
        return;
      }
      const attributeId = this.catalog.idOf("groupBeforeDeactivation");
      if (attributeId !== undefined) await this.client.attributeValues.upsert([{ attribute_id: attributeId, customer_id: id, value: String(target) }]);
    });
  }
}
