import { createHash } from "node:crypto";
import type { Logger } from "pino";
import type { BigCommerceClient, Customer, CustomerGroup, CustomerGroupId, CustomerId } from "../../bigcommerce/api.js";
import { toCustomerGroupId, toCustomerId } from "../../bigcommerce/ids.js";
import { CORE_GROUP } from "../../mapping/urns.js";
import { invalidSyntax, invalidValue, notFound, uniqueness } from "../errors.js";
import { matchesFilter } from "../filter/evaluate.js";
import type { ListParams } from "../scimmy/query-params.js";
import { canonicalise, GROUP_SHAPE } from "../normalise/canonical-keys.js";
import type { GroupDirectory } from "./group-directory.js";
import { membershipPlan } from "./membership-patch.js";

/**
 * SCIM Groups over BigCommerce customer groups (V2). Members are the customers whose
 * customer_group_id is the group; a customer is in at most one group, so adding it moves it.
 * Group externalId has no BigCommerce field to live in and is not kept.
 */
type Json = Record<string, unknown>;

export interface GroupReadOptions {
  members: boolean;
  baseUrl: string;
}

const PAGE = 250;
const isPlainObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

function bcDate(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const t = Date.parse(value.includes("T") ? value : `${value.replace(" ", "T")}Z`);
  return Number.isNaN(t) ? value : new Date(t).toISOString().replace(/\.000Z$/, "Z");
}

export class GroupService {
  constructor(
    private readonly client: BigCommerceClient,
    private readonly directory: GroupDirectory,
    private readonly logger: Logger,
    private readonly audit: (event: { operation: string; groupId: number; changed: string[] }) => void,
  ) {}

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
    const group = groupId ? await this.client.customerGroups.get(groupId) : null;
    if (!group || !groupId) throw notFound(`Group ${id}`);
    return { ...group, id: groupId };
  }

  private async allGroups(): Promise<CustomerGroup[]> {
    const out: CustomerGroup[] = [];
    for (let page = 1; page <= 40; page++) {
      const groups = await this.client.customerGroups.list({ page, limit: PAGE });
      out.push(...groups);
      if (groups.length < PAGE) break;
    }
    this.directory.remember(out);
    return out;
  }

  private async members(groupId: number): Promise<Customer[]> {
    const out: Customer[] = [];
    for (let page = 1; ; page++) {
      const result = await this.client.customers.list({ "customer_group_id:in": [groupId], page, limit: PAGE });
      out.push(...result.data.filter((c) => c.customer_group_id === groupId));
      if (result.data.length < PAGE || page >= result.pagination.total_pages) return out;
    }
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
    const resources: Json[] = [];
    for (const g of window) resources.push(this.toScim(g, opts.members ? await this.members(g.id) : null, opts.baseUrl));
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
    const group = await this.client.customerGroups.create({ name: displayName });
    this.directory.set(group.id, group.name);
    const groupId = toCustomerGroupId(group.id)!;
    if (members && members.length > 0) await this.applyMembership(groupId, new Set(members), new Set(), false);
    this.audit({ operation: "create", groupId: group.id, changed: ["displayName", ...(members?.length ? ["members"] : [])] });
    return this.toScim(group, await this.members(groupId), baseUrl);
  }

  async replace(id: string, body: unknown, baseUrl: string): Promise<Json> {
    const group = await this.requireGroup(id);
    const { displayName, members } = this.parseBody(body, "PUT");
    let current: CustomerGroup = group;
    if (displayName !== group.name) {
      await this.assertNameFree(displayName, group.id);
      current = await this.client.customerGroups.update(group.id, { name: displayName });
      this.directory.set(group.id, current.name);
    }
    await this.applyMembership(group.id, new Set(members ?? []), new Set(), true);
    this.audit({ operation: "replace", groupId: group.id, changed: ["displayName", "members"] });
    return this.toScim(current, await this.members(group.id), baseUrl);
  }

  async patch(id: string, body: unknown, _baseUrl: string): Promise<void> {
    if (!isPlainObject(body)) throw invalidSyntax("PATCH expects a single JSON object");
    const operations = Object.entries(body).find(([k]) => k.toLowerCase() === "operations")?.[1];
    const group = await this.requireGroup(id);
    const plan = membershipPlan(operations, (values) => this.memberIds(values));
    const changed: string[] = [];
    if (plan.displayName !== undefined && plan.displayName !== group.name) {
      if (!plan.displayName.trim()) throw invalidValue("'displayName' cannot be empty");
      await this.assertNameFree(plan.displayName, group.id);
      const updated = await this.client.customerGroups.update(group.id, { name: plan.displayName });
      this.directory.set(group.id, updated.name);
      changed.push("displayName");
    }
    if (plan.touchesMembers) {
      await this.applyMembership(group.id, plan.add, plan.remove, plan.resetToEmpty);
      changed.push("members");
    }
    this.audit({ operation: "patch", groupId: group.id, changed });
  }

  /**
   * Moves customers in and out of the group. `reset` means everyone not in `add` leaves. A
   * customer is only taken out of a group it is actually in: removing a member never touches
   * a customer that has meanwhile joined another group.
   */
  private async applyMembership(groupId: CustomerGroupId, add: Set<CustomerId>, remove: Set<CustomerId>, reset: boolean): Promise<void> {
    const inGroup = new Set<number>();
    if (reset) for (const c of await this.members(groupId)) inGroup.add(c.id);
    const toCheck = [...new Set([...add, ...remove])].filter((id) => !inGroup.has(id));
    const groupOf = new Map<number, number>();
    for (let i = 0; i < toCheck.length; i += PAGE) {
      const ids = toCheck.slice(i, i + PAGE);
      const result = await this.client.customers.list({ "id:in": ids, limit: PAGE });
      for (const c of result.data) groupOf.set(c.id, c.customer_group_id);
    }
    for (const id of inGroup) groupOf.set(id, groupId);

    const updates: Promise<unknown>[] = [];
    for (const id of add) {
      if (!groupOf.has(id)) continue; // not a customer of this store
      if (groupOf.get(id) !== groupId) updates.push(this.client.customers.update({ id, customer_group_id: groupId }));
    }
    const leaving = reset ? [...inGroup].filter((id) => !add.has(id as CustomerId)) : [...remove].filter((id) => !add.has(id));
    for (const id of leaving) {
      if (groupOf.get(id) === groupId) updates.push(this.client.customers.update({ id: id as CustomerId, customer_group_id: 0 }));
    }
    // The client's batcher coalesces these into PUTs of 10.
    const results = await Promise.allSettled(updates);
    const failed = results.find((r) => r.status === "rejected");
    if (failed) throw (failed as PromiseRejectedResult).reason;
  }

  async remove(id: string): Promise<void> {
    const group = await this.requireGroup(id);
    await this.client.customerGroups.delete(group.id);
    this.directory.forget(group.id);
    this.audit({ operation: "delete", groupId: group.id, changed: [] });
  }
}
