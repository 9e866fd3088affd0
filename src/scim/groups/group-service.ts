import { createHash } from "node:crypto";
import { isPlainObject, type Json } from "../json.js";
import type { Logger } from "pino";
import type { BigCommerceClient, Customer, CustomerGroup, CustomerGroupId, CustomerId } from "../../bigcommerce/index.js";
import { AuthenticationError, toCustomerGroupId, toCustomerId } from "../../bigcommerce/index.js";
import { groupMaxLengthOf } from "../../mapping/group-attribute-table.js";
import { CORE_GROUP } from "../../mapping/urns.js";
import { InProcessUnfinishedGroupCreates, type UnfinishedGroupCreates } from "./unfinished-group-creates.js";
import { invalidSyntax, invalidValue, mutability, notFound, ScimError, uniqueness } from "../errors.js";
import { matchesFilter } from "../filter/evaluate.js";
import type { ListParams } from "../scimmy/query-params.js";
import { canonicalise, GROUP_SHAPE } from "../normalise/canonical-keys.js";
import type { GroupDirectory } from "./group-directory.js";
import { UndoLog } from "../undo-log.js";
import { MAX_GROUP_MEMBERS_PER_REQUEST, tooManyMembers, tooManyToDelete } from "./group-limits.js";
import type { MemberListing } from "./member-listing.js";
import { membershipPlan } from "./membership-patch.js";
import type { MembershipWriter } from "./membership-writer.js";

/**
 * SCIM Groups over BigCommerce customer groups (V2). A customer is in one customer group, a user
 * may be in several SCIM groups: members are the customers the IdP put in the group, whether it
 * is their customer group (the effective one, by the merchant's precedence) or not
 * (group-memberships.ts, member-listing.ts). Group externalId has no BigCommerce field to live
 * in and is not kept.
 */

export interface GroupReadOptions {
  members: boolean;
  baseUrl: string;
}

/** Pages of 250 groups a /Groups listing reads at most. */
const ALL_GROUPS_PAGES = 40;
const DISPLAY_NAME_MAX = groupMaxLengthOf("displayName");

/**
 * Whether a filter refers to `members` (Entra's `members eq "3"`, `members[value eq "3"]`).
 * Looks at the parsed filter as data, whatever its shape: a false positive costs one member read.
 */
function mentionsMembers(filter: unknown): boolean {
  return /members/i.test(JSON.stringify(filter));
}

function bcDate(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const t = Date.parse(value.includes("T") ? value : `${value.replace(" ", "T")}Z`);
  return Number.isNaN(t) ? value : new Date(t).toISOString().replace(/\.000Z$/, "Z");
}

/** The `$ref` of a user: `.../Users/{id}` (absolute or relative). */
const USER_REF = /(?:^|\/)Users\/([^/?#]+)\/?$/;

function safeDecode(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined; // malformed escape: not a reference we can read
  }
}

/** A member object's customer id as sent (`value`), after checking that it names a user. */
function userReference(member: Record<string, unknown>): unknown {
  const entry = (name: string) => Object.entries(member).find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1];
  const type = entry("type");
  const ref = entry("$ref");
  const value = entry("value");
  const shown = String(value ?? ref).slice(0, 64);
  if (type !== undefined && type !== null && (typeof type !== "string" || type.toLowerCase() !== "user")) {
    throw invalidValue(`Member '${shown}' has type '${String(type).slice(0, 32)}': only users (type "User") can be members of a customer group`);
  }
  if (ref === undefined || ref === null) return value;
  const segment = typeof ref === "string" ? USER_REF.exec(ref)?.[1] : undefined;
  const named = segment === undefined ? undefined : safeDecode(segment);
  if (named === undefined) throw invalidValue(`Member '${shown}' has a $ref that is not a /Users URL: only users can be members of a customer group`);
  if (value !== undefined && value !== null && String(value) !== named) {
    throw invalidValue(`Member '${shown}' has a $ref naming another resource than its value`);
  }
  return value ?? named;
}

/** Whether a member list names exactly these customers (order and repeats aside). */
function sameIds(customers: readonly Customer[], ids: readonly CustomerId[]): boolean {
  const listed = new Set<number>(customers.map((c) => c.id));
  const named = new Set<number>(ids);
  return listed.size === named.size && [...named].every((id) => listed.has(id));
}

export class GroupService {
  private warnedUnavailable = false;
  constructor(
    private readonly client: BigCommerceClient,
    private readonly directory: GroupDirectory,
    private readonly membership: MembershipWriter,
    private readonly listing: MemberListing,
    private readonly parkingGroupId: number | null,
    private readonly logger: Logger,
    private readonly audit: (event: { operation: string; groupId: number; changed: string[] }) => void,
    /** Groups created for a POST that then failed (members not all written), by lower-case name. */
    private readonly unfinishedCreates: UnfinishedGroupCreates = new InProcessUnfinishedGroupCreates(),
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

  /** Every group (up to 40 pages), read through the directory, which takes the listing in. */
  private async allGroups(): Promise<CustomerGroup[]> {
    try {
      return await this.directory.load(ALL_GROUPS_PAGES);
    } catch (err) {
      if (this.unavailable(err)) return [];
      throw err;
    }
  }

  private membersOf(groupIds: readonly number[]): Promise<Map<number, Customer[]>> {
    return this.listing.membersOf(groupIds);
  }

  private async members(groupId: number): Promise<Customer[]> {
    return (await this.membersOf([groupId])).get(groupId) ?? [];
  }

  /**
   * Who leaves when a list replaces the members: current members not in `staying`. They include
   * the parked (deactivated) customers who would otherwise return to the group on reactivation
   * (member-listing.ts), each once.
   */
  private async membersOutside(groupId: number, staying: ReadonlySet<CustomerId>): Promise<CustomerId[]> {
    return (await this.members(groupId)).map((c) => c.id as CustomerId).filter((id) => !staying.has(id));
  }

  async get(id: string, opts: GroupReadOptions): Promise<Json> {
    const group = await this.requireGroup(id);
    return this.toScim(group, opts.members ? await this.members(group.id) : null, opts.baseUrl);
  }

  async list(params: ListParams, opts: GroupReadOptions): Promise<{ totalResults: number; resources: Json[] }> {
    let groups = (await this.allGroups()).sort((a, b) => a.id - b.id);
    // A filter on members is evaluated on groups with their members (read only when it needs them).
    let known: Map<number, Customer[]> | null = null;
    if (params.filter) {
      const filter = params.filter;
      known = mentionsMembers(filter) ? await this.membersOf(groups.map((g) => g.id)) : null;
      groups = groups.filter((g) => matchesFilter(this.toScim(g, known ? (known.get(g.id) ?? []) : null, opts.baseUrl), filter));
    }
    if (params.sortBy?.toLowerCase() === "displayname") {
      const dir = params.sortOrder === "descending" ? -1 : 1;
      groups.sort((a, b) => a.name.localeCompare(b.name) * dir || a.id - b.id);
    }
    const window = params.count <= 0 ? [] : groups.slice(params.startIndex - 1, params.startIndex - 1 + params.count);
    const members = opts.members ? (known ?? (await this.membersOf(window.map((g) => g.id)))) : null;
    const resources = window.map((g) => this.toScim(g, members ? (members.get(g.id) ?? []) : null, opts.baseUrl));
    return { totalResults: groups.length, resources };
  }

  private parseBody(body: unknown, verb: string): { displayName: string; members: CustomerId[] | null } {
    if (!isPlainObject(body)) throw invalidSyntax(`${verb} expects a single JSON object`);
    const doc = canonicalise(body, GROUP_SHAPE);
    const name = typeof doc.displayName === "string" ? doc.displayName.trim() : "";
    if (!name) throw invalidValue("Attribute 'displayName' is required");
    if ([...name].length > DISPLAY_NAME_MAX) throw invalidValue(`'displayName' is longer than ${DISPLAY_NAME_MAX} characters`);
    const members = Array.isArray(doc.members) ? this.memberIds(doc.members, "join") : null;
    return { displayName: name, members };
  }

  /**
   * Member references to customer ids. Customer and group ids overlap, so only a reference that
   * names a user is read as a customer: `type` "User" or absent, and `$ref` a Users URL or
   * absent (RFC 7643 §4.2 also allows nested groups, which customer groups cannot hold).
   * Anything else is refused rather than moving an unrelated customer. A value that cannot be a
   * customer id is refused when it is to join (400 naming it: nothing of the request is
   * applied), and names nobody to remove when it is to leave.
   */
  private memberIds(values: unknown[], direction: "join" | "leave"): CustomerId[] {
    if (values.length > MAX_GROUP_MEMBERS_PER_REQUEST) throw tooManyMembers(values.length, "names");
    const ids: CustomerId[] = [];
    const invalid: string[] = [];
    for (const v of values) {
      const raw = isPlainObject(v) ? userReference(v) : v;
      const id = toCustomerId(typeof raw === "number" ? String(raw) : raw);
      if (id) ids.push(id);
      else invalid.push(JSON.stringify(raw ?? null).slice(0, 64));
    }
    if (invalid.length > 0 && direction === "join") {
      throw invalidValue(`${invalid.length === 1 ? "Member" : "Members"} ${invalid.slice(0, 20).join(", ")} ${invalid.length === 1 ? "is" : "are"} not a user id of this store; nothing was changed`);
    }
    return [...new Set(ids)];
  }

  private async assertNameFree(name: string, exceptId?: number): Promise<void> {
    const clash = (await this.allGroups()).find((g) => g.name.toLowerCase() === name.toLowerCase() && g.id !== exceptId);
    if (clash) throw uniqueness(`A group named '${clash.name}' already exists`);
  }

  async create(body: unknown, baseUrl: string): Promise<Json> {
    const { displayName, members } = this.parseBody(body, "POST");
    const key = displayName.toLowerCase();
    // The IdP's retry of a create that failed after the group was made finishes that group
    // instead of meeting a 409 (only a group the bridge created for a failed request, and only
    // while it still exists under that name).
    const unfinished = await this.unfinishedCreates.get(key);
    const found = unfinished !== undefined ? await this.client.customerGroups.get(unfinished) : null;
    const group = found && found.name.toLowerCase() === key ? found : null;
    if (!group) {
      if (unfinished !== undefined) await this.unfinishedCreates.delete(key);
      await this.assertNameFree(displayName);
      // Unknown members refuse the request before the group exists.
      if (members && members.length > 0) await this.membership.assertCustomers(members);
    }
    const created = group ?? (await this.writing(() => this.client.customerGroups.create({ name: displayName })));
    this.directory.set(created.id, created.name);
    const groupId = toCustomerGroupId(created.id)!;
    try {
      if (members && members.length > 0) await this.membership.apply(groupId, members, []);
    } catch (err) {
      // Remembering may fail too (Redis down): the request fails with the original error either way.
      await this.unfinishedCreates.set(key, groupId).catch((memoryError: unknown) => {
        this.logger.warn({ err: { message: (memoryError as Error).message }, groupId }, "could not remember an unfinished group create; its retry will meet a 409");
      });
      throw err;
    }
    if (unfinished !== undefined) await this.unfinishedCreates.delete(key);
    this.audit({ operation: "create", groupId: created.id, changed: ["displayName", ...(members?.length ? ["members"] : [])] });
    return this.toScim(created, await this.members(groupId), baseUrl);
  }

  async replace(id: string, body: unknown, baseUrl: string): Promise<Json> {
    const group = await this.requireGroup(id);
    const parsed = this.parseBody(body, "PUT");
    const { displayName } = parsed;
    let { members } = parsed;
    // Okta and Entra PUT the whole group, members included, to rename it. For the deactivated
    // group, members equal to the ones it lists change nothing and are read as left out (the
    // rename applies, no member is read again); any other list is a membership write, refused.
    let unchanged: Customer[] | null = null;
    if (members !== null && group.id === this.parkingGroupId) {
      const current = await this.members(group.id);
      if (!sameIds(current, members)) this.refuseParkingGroup(group, "given or relieved of members");
      unchanged = current;
      members = null;
    }
    const changed: string[] = [];
    // A PUT without `members` keeps them (RFC 7644 §3.5.1 lets a server keep what is not sent):
    // emptying a customer group because a client left the attribute out would be destructive.
    const wanted = members === null ? null : new Set(members);
    // Everything read before the first write, so that a failed read changes nothing.
    const leaving = wanted === null ? [] : await this.membersOutside(group.id, wanted);
    if ((members?.length ?? 0) + leaving.length > MAX_GROUP_MEMBERS_PER_REQUEST) throw tooManyMembers((members?.length ?? 0) + leaving.length, "would move");
    if (displayName !== group.name) await this.assertNameFree(displayName, group.id);
    const current = await this.writeAll(group, displayName, wanted === null ? null : { join: wanted, leave: leaving }, changed);
    this.audit({ operation: "replace", groupId: group.id, changed });
    return this.toScim(current, unchanged ?? (await this.members(group.id)), baseUrl);
  }

  async patch(id: string, body: unknown): Promise<void> {
    if (!isPlainObject(body)) throw invalidSyntax("PATCH expects a single JSON object");
    const operations = Object.entries(body).find(([k]) => k.toLowerCase() === "operations")?.[1];
    // What the request asks is known (and refused when too large) before the first call.
    const plan = membershipPlan(operations, (values, direction) => this.memberIds(values, direction));
    const named = plan.add.size + plan.remove.size;
    if (named > MAX_GROUP_MEMBERS_PER_REQUEST) throw tooManyMembers(named, "names");
    const group = await this.requireGroup(id);
    if (plan.touchesMembers) this.refuseParkingGroup(group, "given or relieved of members");
    const changed: string[] = [];
    const rename = plan.displayName !== undefined && plan.displayName !== group.name ? plan.displayName : undefined;
    if (rename !== undefined) {
      if (!rename.trim()) throw invalidValue("'displayName' cannot be empty");
      await this.assertNameFree(rename, group.id);
    }
    const leaving = !plan.touchesMembers ? [] : plan.resetToEmpty ? await this.membersOutside(group.id, plan.add) : [...plan.remove];
    if (plan.add.size + leaving.length > MAX_GROUP_MEMBERS_PER_REQUEST) throw tooManyMembers(plan.add.size + leaving.length, "would move");
    await this.writeAll(group, rename ?? group.name, plan.touchesMembers ? { join: plan.add, leave: leaving } : null, changed);
    this.audit({ operation: "patch", groupId: group.id, changed });
  }

  /**
   * The rename (the write BigCommerce can refuse) first, then the member moves; when a move
   * fails, the rename is undone. Moves already made stay: they are what the request asked, and
   * the IdP's retry of the same request (idempotent) finishes the rest.
   */
  private async writeAll(
    group: CustomerGroup & { id: CustomerGroupId },
    displayName: string,
    moves: { join: Iterable<CustomerId>; leave: Iterable<CustomerId> } | null,
    changed: string[],
  ): Promise<CustomerGroup> {
    let current: CustomerGroup = group;
    const undo = new UndoLog(this.logger, { groupId: group.id });
    // Reads and checks of the moves first: a refused member (400) leaves the name as it was.
    const writeMoves = moves ? await this.membership.prepare(group.id, moves.join, moves.leave) : null;
    if (displayName !== group.name) {
      current = await this.writing(() => this.client.customerGroups.update(group.id, { name: displayName }));
      this.directory.set(group.id, current.name);
      undo.push("group name", async () => {
        await this.client.customerGroups.update(group.id, { name: group.name });
        this.directory.set(group.id, group.name);
      });
      changed.push("displayName");
    }
    if (writeMoves) {
      try {
        await writeMoves();
      } catch (err) {
        await undo.rollBack();
        throw err;
      }
      changed.push("members");
    }
    return current;
  }

  /**
   * The deactivated group is the bridge's own state: only a user's `active` parks and unparks it.
   * A member added through /Groups would be an active user parked, a member removed a deactivated
   * user unparked behind the bridge's back, and a delete would do the latter to all. Its name is
   * only a label (the bridge knows it by id), so a rename stays allowed.
   */
  private refuseParkingGroup(group: { id: CustomerGroupId }, what: "deleted" | "given or relieved of members"): void {
    if (group.id === this.parkingGroupId) {
      throw mutability(`This group holds deactivated customers (SCIM_DEACTIVATED_GROUP_ID) and cannot be ${what} through SCIM: deactivating or reactivating a user (active) parks and unparks it`);
    }
  }

  async remove(id: string): Promise<void> {
    const group = await this.requireGroup(id);
    // Deleting these would strip every member's group (and its discounts) as a side effect.
    this.refuseParkingGroup(group, "deleted");
    if (group.is_default) throw mutability("This is the store's default customer group and cannot be deleted through SCIM");
    // Every member leaves the group first, as if the IdP had removed it: the effective group
    // falls back by precedence, remembered memberships and parked customers' return group drop
    // it. Only members whose stored values name the group need a write (member-listing.ts, the
    // same listing as the groups.value filter's); the others (in this group alone) end in no
    // group (0) through the delete itself, as their removal would leave them. A customer whose
    // stale value names the group without making it a member is read and left as it is (a
    // removal of a non-member writes nothing). A failure leaves the group in place, some
    // members already out of it: the IdP's retry finds only the rest and finishes (membership
    // moves are idempotent).
    const leaving = await this.listing.storedMembers(group.id);
    if (leaving.length > MAX_GROUP_MEMBERS_PER_REQUEST) throw tooManyToDelete(leaving.length);
    if (leaving.length > 0) await this.writing(() => this.membership.apply(group.id, [], leaving));
    await this.writing(() => this.client.customerGroups.delete(group.id));
    this.directory.forget(group.id);
    this.audit({ operation: "delete", groupId: group.id, changed: [] });
  }
}
