import type { BigCommerceClient, Customer, CustomerId } from "../../bigcommerce/index.js";
import { readBridgeAttributes, type AttributeCatalog } from "../../mapping/bridge-attributes.js";
import { parseMemberships, standingOf } from "../../mapping/group-memberships.js";

const PAGE = 250;
const GROUP_IDS_PER_QUERY = 50;
const IDS_PER_READ = 50;

/** The bridge attributes whose values say a customer is a member of a group beyond its customer group. */
type ScannedKey = "groupMemberships" | "groupBeforeDeactivation";

/**
 * The members of customer groups as the IdP pushed them: the customers whose customer group it
 * is, and the customers in other groups too whose remembered memberships name it
 * (group-memberships.ts). BigCommerce cannot filter attribute values by value, so the second
 * part reads the memberships attribute's values, which only customers in two or more groups
 * have: one call per 250 such customers, then one `id:in` read per 50 members found there.
 * Deactivated customers parked in the deactivated group are members of the group they return to
 * (one call per 250 parked customers, when SCIM_DEACTIVATED_GROUP_ID is set). The cost grows
 * with the members, the multi-group and the parked customers, never with the whole store.
 * Finding only the customers whose stored values name a group (storedMembers) costs one
 * listing of both values instead.
 */
export class MemberListing {
  constructor(
    private readonly client: BigCommerceClient,
    private readonly catalog: AttributeCatalog,
    private readonly parkingGroupId: number | null,
  ) {}

  async membersOf(groupIds: readonly number[]): Promise<Map<number, Customer[]>> {
    const out = new Map<number, Customer[]>(groupIds.map((id) => [id, []]));
    // A member filter asks about every group: keep each query's id list short.
    for (let start = 0; start < groupIds.length; start += GROUP_IDS_PER_QUERY) {
      const chunk = groupIds.slice(start, start + GROUP_IDS_PER_QUERY);
      for (let page = 1; ; page++) {
        const result = await this.client.customers.list({ "customer_group_id:in": chunk, page, limit: PAGE });
        for (const c of result.data) out.get(c.customer_group_id)?.push(c);
        if (result.data.length < PAGE || page >= result.pagination.total_pages) break;
      }
    }
    await this.addParked(out);
    const elsewhere = await this.membersElsewhere(out);
    for (const chunk of chunks([...elsewhere.keys()], IDS_PER_READ)) {
      const found = await this.client.customers.list({ "id:in": chunk, limit: IDS_PER_READ });
      for (const c of found.data) for (const g of elsewhere.get(c.id as CustomerId) ?? []) out.get(g)?.push(c);
    }
    for (const list of out.values()) list.sort((a, b) => a.id - b.id);
    return out;
  }

  /** Parked customers, as members of the group they return to on reactivation (user-writer.ts). */
  private async addParked(out: Map<number, Customer[]>): Promise<void> {
    const parking = this.parkingGroupId;
    if (parking === null || [...out.keys()].every((g) => g === parking)) return;
    for (let page = 1; ; page++) {
      const result = await this.client.customers.list({ "customer_group_id:in": [parking], include: ["attributes"], page, limit: PAGE });
      for (const c of result.data) {
        const standing = standingOf(c.customer_group_id, readBridgeAttributes(c, this.catalog).values, parking);
        if (!standing.parked) continue; // a member of the group itself
        if (standing.effective !== parking) out.get(standing.effective)?.push(c);
      }
      if (result.data.length < PAGE || page >= result.pagination.total_pages) return;
    }
  }

  /**
   * The customers whose stored values name `groupId` beyond their customer group (which a
   * customer group lookup covers): remembered memberships (users in two or more groups) and the
   * group a parked customer returns to. Both attributes are read in the same attribute-values
   * listing (one call per 250 values, as many as the multi-group and the parked customers), so
   * the parked members cost no call of their own. It serves the `/Users` filter on
   * `groups.value` (user-reader.ts) and a group's delete (group-service.ts), which must take
   * these customers out of the group first. It may name a customer whose value does not make it
   * a member (a return group left behind by a reactivation whose clean-up was lost, or by a
   * deactivation left half-done before the customer was parked): the filter, evaluated on each
   * user's `groups` (groupsOf), drops it, and a removal reads it and writes nothing.
   */
  async storedMembers(groupId: number): Promise<CustomerId[]> {
    const out = new Set<CustomerId>();
    const keys: ScannedKey[] = this.parkingGroupId === null ? ["groupMemberships"] : ["groupMemberships", "groupBeforeDeactivation"];
    await this.scanValues(keys, (customerId, key, value) => {
      const names = key === "groupMemberships" ? (parseMemberships(value) ?? []).includes(groupId) : Number(value) === groupId;
      if (names) out.add(customerId);
    });
    return [...out].sort((a, b) => a - b);
  }

  /** Customers whose memberships name one of these groups that does not list them yet, with those groups. */
  private async membersElsewhere(listed: ReadonlyMap<number, Customer[]>): Promise<Map<CustomerId, number[]>> {
    const out = new Map<CustomerId, number[]>();
    const known = new Map([...listed].map(([g, members]) => [g, new Set(members.map((m) => m.id))]));
    await this.scanMemberships((id, groups) => {
      for (const g of groups) {
        if (!known.has(g) || known.get(g)!.has(id)) continue;
        out.set(id, [...(out.get(id) ?? []), g]);
      }
    });
    return out;
  }

  /** Every remembered memberships value: one call per 250 customers in two or more groups. */
  private scanMemberships(visit: (customerId: CustomerId, groups: number[]) => void): Promise<void> {
    return this.scanValues(["groupMemberships"], (customerId, _key, value) => {
      const groups = parseMemberships(value);
      if (groups) visit(customerId, groups);
    });
  }

  /** Every value of these bridge attributes, in one listing: one call per 250 values. */
  private async scanValues(keys: readonly ScannedKey[], visit: (customerId: CustomerId, key: ScannedKey, value: string) => void): Promise<void> {
    const keyOf = new Map<number, ScannedKey>();
    for (const key of keys) {
      const attributeId = this.catalog.idOf(key);
      if (attributeId !== undefined) keyOf.set(attributeId, key);
    }
    if (keyOf.size === 0) return;
    for (let page = 1; ; page++) {
      const result = await this.client.attributeValues.list({ "attribute_id:in": [...keyOf.keys()], page, limit: PAGE });
      for (const value of result.data) {
        const key = keyOf.get(value.attribute_id);
        if (key !== undefined) visit(value.customer_id as CustomerId, key, value.attribute_value);
      }
      if (result.data.length < PAGE || page >= result.pagination.total_pages) return;
    }
  }
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
