import { createHash } from "node:crypto";
import { isPlainObject, type Json } from "../json.js";
import type { Logger } from "pino";
import type { BigCommerceClient, Customer, CustomerGroup, CustomerGroupId, CustomerId } from "../../bigcommerce/index.js";
import { AuthenticationError, toCustomerGroupId, toCustomerId } from "../../bigcommerce/index.js";
import { CORE_GROUP } from "../../mapping/urns.js";
import { invalidSyntax, invalidValue, mutability, notFound, ScimError, uniqueness } from "../errors.js";
import { matchesFilter } from "../filter/evaluate.js";
import type { ListParams } from "../scimmy/query-params.js";
import { canonicalise, GROUP_SHAPE } from "../normalise/canonical-keys.js";
import type { GroupDirectory } from "./group-directory.js";
import { membershipPlan } from "./membership-patch.js";
import type { MembershipWriter } from "./membership-writer.js";

/**
 * SCIM Groups over BigCommerce customer groups (V2). Members are the customers whose
 * customer_group_id is the group; a customer is in at most one group, so adding it moves it.
 * Group externalId has no BigCommerce field to live in and is not kept.
 */

export interface GroupReadOptions {
  members: boolean;
  baseUrl: string;
}

const PAGE = 250;

function bcDate(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const t = Date.parse(value.includes("T") ? value : `${value.replace(" ", "T")}Z`);
  return Number.isNaN(t) ? value : new Date(t).toISOString().replace(/\.000Z$/, "Z");
}

export class GroupService {
  private warnedUnavailable = false;

  constructor(
    private readonly client: BigCommerceClient,
    private readonly directory: GroupDirectory,
    private readonly membership: MembershipWriter,
    private readonly parkingGroupId: number | null,
    private readonly logger: Logger,
    private readonly audit: (event: { operation: string; groupId: number; changed: string[] }) => void,
  ) {}

  /**
   * Customer groups are plan-dependent: BigCommerce answers 403 on stores without them. Reads
   * then show no groups (so an IdP's connection test passes); writes say why they cannot work.
   */
  private unavailable(err: unknown): boolean {
    if (!(err instanceof AuthenticationError) || err.status !== 403) return false;
    if (!this.warnedUnavailable) this.logger.warn("BigCommerce refuses customer groups (403): /Groups is empty and read-only on this store");
    this.warnedUnavailable = true;
    return true;
  }

  private async writing<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      if (this.unavailable(err)) {
        throw new ScimError(501, null, "Customer groups are not available on this BigCommerce store (its plan or the API account's scope)");
      }
      throw err;
    }
  }

  private toScim(group: CustomerGroup, members: Customer[] | null, baseUrl: string): Json {
    const id = String(group.id);
    const out: Json = {
      schemas: [CORE_GROUP],
      id,
      displayName: group.name,
      ...(members
        ? { members: members.map((c) => ({ value: String(c.id), display: c.email, $ref: `${baseUrl}/Users/${c.id}`, type: "User" })) }
        : {}),
    };
    const created = bcDate(group.date_created);
    const modified = bcDate(group.date_modified) ?? created;
    const versionSource = JSON.stringify([group.name, members?.map((m) => m.id) ?? null, modified]);
    out.meta = {
      resourceType: "Group",
      ...(created ? { created } : {}),
      ...(modified ? { lastModified: modified } : {}),
      location: `${baseUrl}/Groups/${id}`,
      version: `"${createHash("sha256").update(versionSource).digest("base64url").slice(0, 22)}"`,
    };
    return out;
  }

  private async requireGroup(id: string): Promise<CustomerGroup & { id: CustomerGroupId }> {
    const groupId = toCustomerGroupId(id);
    const group = groupId
      ? await this.client.customerGroups.get(groupId).catch((err: unknown) => {
          if (this.unavailable(err)) return null;
          throw err;
        })
      : null;
    if (!group || !groupId) throw notFound(`Group ${id}`);
    return { ...group, id: groupId };
  }

  private async allGroups(): Promise<CustomerGroup[]> {
    const out: CustomerGroup[] = [];
    for (let page = 1; page <= 40; page++) {
      let groups: CustomerGroup[];
      try {
        groups = await this.client.customerGroups.list({ page, limit: PAGE });
      } catch (err) {
        if (this.unavailable(err)) return [];
        throw err;
      }
      out.push(...groups);
      if (groups.length < PAGE) break;
    }
    this.directory.remember(out);
    return out;
  }

  /** Members of several groups in one paged query (a page of groups costs one call per 250 members). */
  private async membersOf(groupIds: readonly number[]): Promise<Map<number, Customer[]>> {
    const out = new Map<number, Customer[]>(groupIds.map((id) => [id, []]));
    if (groupIds.length === 0) return out;
    for (let page = 1; ; page++) {
      const result = await this.client.customers.list({ "customer_group_id:in": groupIds, page, limit: PAGE });
      for (const c of result.data) out.get(c.customer_group_id)?.push(c);
      if (result.data.length < PAGE || page >= result.pagination.total_pages) return out;
    }
  }

  private async members(groupId: number): Promise<Customer[]> {
    return (await this.membersOf([groupId])).get(groupId) ?? [];
  }

  /** Current members that are not in `staying`: who leaves when a list replaces the members. */
  private async membersOutside(groupId: number, staying: ReadonlySet<CustomerId>): Promise<CustomerId[]> {
    return (await this.members(groupId)).map((c) => c.id as CustomerId).filter((id) => !staying.has(id));
  }

  async get(id: string, opts: GroupReadOptions): Promise<Json> {
    const group = await this.requireGroup(id);
    return this.toScim(group, opts.members ? await this.members(group.id) : null, opts.baseUrl);
  }

  async list(params: ListParams, opts: GroupReadOptions): Promise<{ totalResults: number; resources: Json[] }> {
    let groups = (await this.allGroups()).sort((a, b) => a.id - b.id);
    if (params.filter) {
      const filter = params.filter;
      groups = groups.filter((g) => matchesFilter(this.toScim(g, null, opts.baseUrl), filter));
    }
    if (params.sortBy?.toLowerCase() === "displayname") {
      const dir = params.sortOrder === "descending" ? -1 : 1;
      groups.sort((a, b) => a.name.localeCompare(b.name) * dir || a.id - b.id);
    }
    const window = params.count <= 0 ? [] : groups.slice(params.startIndex - 1, params.startIndex - 1 + params.count);
    const members = opts.members ? await this.membersOf(window.map((g) => g.id)) : null;
    const resources = window.map((g) => this.toScim(g, members ? (members.get(g.id) ?? []) : null, opts.baseUrl));
    return { totalResults: groups.length, resources };
  }

  private parseBody(body: unknown, verb: string): { displayName: string; members: CustomerId[] | null } {
    if (!isPlainObject(body)) throw invalidSyntax(`${verb} expects a single JSON object`);
    const doc = canonicalise(body, GROUP_SHAPE);
    const name = typeof doc.displayName === "string" ? doc.displayName.trim() : "";
    if (!name) throw invalidValue("Attribute 'displayName' is required");
    if ([...name].length > 255) throw invalidValue("'displayName' is longer than 255 characters");
    const members = Array.isArray(doc.members) ? this.memberIds(doc.members) : null;
    return { displayName: name, members };
  }

  /** Member references to customer ids; a value that is no customer id of this store is skipped. */
  private memberIds(values: unknown[]): CustomerId[] {
    const ids: CustomerId[] = [];
    for (const v of values) {
      const raw = isPlainObject(v) ? v.value : v;
      const id = toCustomerId(typeof raw === "number" ? String(raw) : raw);
      if (id) ids.push(id);
      else this.logger.warn({ member: String(raw).slice(0, 64) }, "group member value is not a customer id; ignored");
    }
    return [...new Set(ids)];
  }

  private async assertNameFree(name: string, exceptId?: number): Promise<void> {
    const clash = (await this.allGroups()).find((g) => g.name.toLowerCase() === name.toLowerCase() && g.id !== exceptId);
    if (clash) throw uniqueness(`A group named '${clash.name}' already exists`);
  }

  async create(body: unknown, baseUrl: string): Promise<Json> {
    const { displayName, members } = this.parseBody(body, "POST");
    await this.assertNameFree(displayName);
    const group = await this.writing(() => this.client.customerGroups.create({ name: displayName }));
    this.directory.set(group.id, group.name);
    const groupId = toCustomerGroupId(group.id)!;
    if (members && members.length > 0) await this.membership.apply(groupId, members, []);
    this.audit({ operation: "create", groupId: group.id, changed: ["displayName", ...(members?.length ? ["members"] : [])] });
    return this.toScim(group, await this.members(groupId), baseUrl);
  }

  async replace(id: string, body: unknown, baseUrl: string): Promise<Json> {
    const group = await this.requireGroup(id);
    const { displayName, members } = this.parseBody(body, "PUT");
    let current: CustomerGroup = group;
    const changed: string[] = [];
    if (displayName !== group.name) {
      await this.assertNameFree(displayName, group.id);
      current = await this.writing(() => this.client.customerGroups.update(group.id, { name: displayName }));
      this.directory.set(group.id, current.name);
      changed.push("displayName");
    }
    // A PUT without `members` keeps them (RFC 7644 §3.5.1 lets a server keep what is not sent):
    // emptying a customer group because a client left the attribute out would be destructive.
    if (members !== null) {
      const wanted = new Set(members);
      await this.membership.apply(group.id, wanted, await this.membersOutside(group.id, wanted));
      changed.push("members");
    }
    this.audit({ operation: "replace", groupId: group.id, changed });
    return this.toScim(current, await this.members(group.id), baseUrl);
  }

  async patch(id: string, body: unknown): Promise<void> {
    if (!isPlainObject(body)) throw invalidSyntax("PATCH expects a single JSON object");
    const operations = Object.entries(body).find(([k]) => k.toLowerCase() === "operations")?.[1];
    const group = await this.requireGroup(id);
    const plan = membershipPlan(operations, (values) => this.memberIds(values));
    const changed: string[] = [];
    if (plan.displayName !== undefined && plan.displayName !== group.name) {
      if (!plan.displayName.trim()) throw invalidValue("'displayName' cannot be empty");
      await this.assertNameFree(plan.displayName, group.id);
      const name = plan.displayName;
      const updated = await this.writing(() => this.client.customerGroups.update(group.id, { name }));
      this.directory.set(group.id, updated.name);
      changed.push("displayName");
    }
    if (plan.touchesMembers) {
      const leaving = plan.resetToEmpty ? await this.membersOutside(group.id, plan.add) : [...plan.remove];
      await this.membership.apply(group.id, plan.add, leaving);
      changed.push("members");
    }
    this.audit({ operation: "patch", groupId: group.id, changed });
  }

  async remove(id: string): Promise<void> {
    const group = await this.requireGroup(id);
    // Deleting these would strip every member's group (and its discounts) as a side effect.
    if (group.id === this.parkingGroupId) throw mutability("This group holds deactivated customers (SCIM_DEACTIVATED_GROUP_ID) and cannot be deleted through SCIM");
    if (group.is_default) throw mutability("This is the store's default customer group and cannot be deleted through SCIM");
    await this.writing(() => this.client.customerGroups.delete(group.id));
    this.directory.forget(group.id);
    this.audit({ operation: "delete", groupId: group.id, changed: [] });
  }
}
