import type { Logger } from "pino";
import type { BigCommerceClient, Customer, CustomerGroupId, CustomerId } from "../../bigcommerce/index.js";
import { toCustomerId } from "../../bigcommerce/index.js";
import { readBridgeAttributes, type AttributeCatalog } from "../../mapping/bridge-attributes.js";
import { GroupPrecedence, membershipsOf, membershipsValue, standingOf, storedMemberships } from "../../mapping/group-memberships.js";
import { invalidValue, ScimError } from "../errors.js";
import type { WriteLock } from "../keyed-lock.js";
import { UndoLog } from "../undo-log.js";
import type { UserReader } from "../users/user-reader.js";

/** Ids per `id:in` read, and customers per page of a group listing. */
const IDS_PER_READ = 50;
const PAGE = 250;
/** From this many joining members on, the group's current members are listed first (see apply). */
const LIST_FIRST_FROM = 100;

/** Group names for the precedence list: cached, refreshed when a name is missing. */
export interface GroupNames {
  nameOf(groupId: number): string | undefined;
  /** Whether the group is known deleted (group-directory.ts): never a call. */
  isDeleted(groupId: number): boolean;
  refresh(): Promise<void>;
}

/** Where a customer stands: its customer group, or for a parked customer the group it returns to. */
interface Standing {
  parked: boolean;
  effective: number;
  memberships: number[];
  stored: string;
}

/**
 * Changes the SCIM group memberships of customers, and with them their customer group: the
 * effective group of their memberships (group-memberships.ts). Each customer is handled under
 * the same per-user lock as user writes, reading its state inside the lock (concurrent reads
 * share one `id:in` call; writes share the client's PUT and attribute-value batches). A
 * deactivated customer parked in the deactivated group is not moved: the group it returns to
 * on reactivation is changed instead. A customer leaves only a group it is in, so a stale
 * remove never touches a customer that has meanwhile joined another group.
 */
export class MembershipWriter {
  private readonly precedence: GroupPrecedence;

  constructor(
    private readonly client: BigCommerceClient,
    private readonly reader: UserReader,
    private readonly catalog: AttributeCatalog,
    private readonly lock: WriteLock,
    private readonly parkingGroupId: number | null,
    private readonly names: GroupNames,
    groupPrecedence: readonly string[],
    private readonly logger: Logger,
  ) {
    this.precedence = new GroupPrecedence(groupPrecedence);
  }

  /**
   * Customers join and leave `groupId`, all or nothing as far as can be known before writing:
   * every joining id must be a customer of this store (else 400 naming those that are not, and
   * nothing is written). Work a failed earlier attempt already did counts: with many joining
   * members, the group's current members are listed first (250 per call instead of 50 per
   * `id:in` read), and a customer already in the group is neither read again nor written.
   */
  async apply(groupId: CustomerGroupId, join: Iterable<CustomerId>, leave: Iterable<CustomerId>): Promise<void> {
    await (await this.prepare(groupId, join, leave))();
  }

  /** apply() in two steps: the reads and checks (which may refuse), then the writes it returns. */
  async prepare(groupId: CustomerGroupId, join: Iterable<CustomerId>, leave: Iterable<CustomerId>): Promise<() => Promise<void>> {
    const joining = new Set(join);
    const leaving = [...new Set(leave)].filter((id) => !joining.has(id));
    const known = joining.size >= LIST_FIRST_FROM ? await this.currentMembers(groupId, joining.size) : new Map<number, Customer>();
    let names: Promise<void> | undefined;
    const refreshNames = () => (names ??= this.names.refresh());

    const toJoin: CustomerId[] = [];
    for (const id of joining) {
      const customer = known.get(id);
      if (customer && (await this.isDone(customer, groupId, refreshNames))) continue;
      toJoin.push(id);
    }
    // Before any write: every joining id must be a customer (reads shared in id:in calls, and
    // remembered for the writes below), and its memberships must fit.
    await this.assertCustomers(
      toJoin.filter((id) => !known.has(id)),
      async (customer) => {
        const standing = this.standingOf(customer);
        if (standing.memberships.includes(groupId)) return;
        const next = [...standing.memberships, groupId];
        storedMemberships(this.existing(next), await this.effective(next, refreshNames), customer.id);
      },
    );

    return async () => {
      const work = [
        ...toJoin.map((id) => this.move(id, groupId, "join", refreshNames)),
        ...leaving.map((id) => this.move(id, groupId, "leave", refreshNames)),
      ];
      const results = await Promise.allSettled(work);
      const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
      if (failed) throw failed.reason;
    };
  }

  /** Refuses (400, naming them) ids that are no customer of this store; `check` sees each customer. */
  async assertCustomers(ids: readonly CustomerId[], check?: (customer: Customer) => Promise<void>): Promise<void> {
    const missing: CustomerId[] = [];
    await Promise.all(
      ids.map(async (id) => {
        const customer = await this.readOrNull(id, true);
        if (!customer) missing.push(id);
        else if (check) await check(customer);
      }),
    );
    if (missing.length === 0) return;
    const shown = missing.sort((a, b) => a - b).slice(0, 20).join(", ");
    throw invalidValue(
      `${missing.length === 1 ? "Member" : `${missing.length} members`} ${shown}${missing.length > 20 ? ", …" : ""} ` +
        `${missing.length === 1 ? "is" : "are"} not a user of this store; nothing was changed`,
    );
  }

  /**
   * Customers whose customer group is `groupId`, when listing them costs fewer calls than
   * reading `joining` customers by id (else none: they are read one by one as before).
   */
  private async currentMembers(groupId: number, joining: number): Promise<Map<number, Customer>> {
    const out = new Map<number, Customer>();
    const worthPages = Math.ceil(joining / IDS_PER_READ);
    for (let page = 1; page <= worthPages; page++) {
      const result = await this.client.customers.list({ "customer_group_id:in": [groupId], include: ["attributes"], page, limit: PAGE });
      if (page === 1 && result.pagination.total_pages > worthPages) return out;
      for (const c of result.data) out.set(c.id, c);
      if (result.data.length < PAGE || page >= result.pagination.total_pages) break;
    }
    return out;
  }

  /** Whether a customer is already where joining `groupId` would leave it. */
  private async isDone(customer: Customer, groupId: number, refreshNames: () => Promise<void>): Promise<boolean> {
    const standing = this.standingOf(customer);
    if (!standing.memberships.includes(groupId)) return false;
    return (await this.effective(standing.memberships, refreshNames)) === standing.effective;
  }

  private standingOf(customer: Customer): Standing {
    const bridge = readBridgeAttributes(customer, this.catalog);
    const { parked, effective } = standingOf(customer.customer_group_id, bridge.values, this.parkingGroupId);
    const stored = bridge.values.groupMemberships ?? "";
    return { parked, effective, memberships: membershipsOf(stored, effective), stored };
  }

  /**
   * The group the customer belongs in. Names are needed for the precedence, and to leave out
   * groups deleted since the membership was remembered (BigCommerce refuses to put a customer
   * in them): a group the cached names do not know is looked up once per request.
   */
  private async effective(memberships: readonly number[], refreshNames: () => Promise<void>): Promise<number> {
    if (memberships.some((g) => this.names.nameOf(g) === undefined)) await refreshNames();
    const existing = memberships.filter((g) => this.names.nameOf(g) !== undefined);
    return this.precedence.effective(existing, (g) => this.names.nameOf(g));
  }

  /** Memberships without the groups known deleted (group-directory.ts). */
  private existing(memberships: readonly number[]): number[] {
    return memberships.filter((g) => !this.names.isDeleted(g));
  }

  /** The customer, or null when it is no customer of this store; any other failure fails the request. */
  private readOrNull(id: CustomerId, recent: boolean): Promise<Customer | null> {
    return this.reader.getCustomer(String(id), { recent }).catch((err: unknown) => {
      if (err instanceof ScimError && err.status === 404) return null;
      throw err;
    });
  }

  private move(id: CustomerId, groupId: number, direction: "join" | "leave", refreshNames: () => Promise<void>): Promise<void> {
    return this.lock.run(String(id), async () => {
      // The read made a moment ago for the checks serves, unless a write to the customer came between.
      const customer = await this.readOrNull(id, true);
      if (!customer) return; // deleted meanwhile (join), or no customer (leave): nothing to move
      const standing = this.standingOf(customer);
      const { memberships, effective, parked } = standing;
      if (direction === "leave" && !memberships.includes(groupId) && effective !== groupId) return;
      const next =
        direction === "join" ? (memberships.includes(groupId) ? memberships : [...memberships, groupId]) : memberships.filter((g) => g !== groupId);
      const target = await this.effective(next, refreshNames);
      // Groups known deleted since they were joined leave the value whenever it is written;
      // never a write for that alone, which would cost an attribute-value write of its own.
      const stored = membershipsValue(next, target) === standing.stored ? standing.stored : storedMemberships(this.existing(next), target, id);
      await this.write(customer, standing, stored, target, parked);
    });
  }

  /**
   * The memberships first, then the group: a retry after a failure in between finds the
   * memberships already right and finishes the move. A failed move takes the memberships back.
   */
  private async write(customer: Customer, standing: Standing, stored: string, target: number, parked: boolean): Promise<void> {
    const id = toCustomerId(customer.id)!;
    const undo = new UndoLog(this.logger, { customerId: id });
    const membershipsAttribute = this.catalog.idOf("groupMemberships");
    try {
      if (stored !== standing.stored && membershipsAttribute !== undefined) {
        undo.push("group memberships", async () => {
          await this.client.attributeValues.upsertOne({ attribute_id: membershipsAttribute, customer_id: id, value: standing.stored });
        });
        await this.client.attributeValues.upsertOne({ attribute_id: membershipsAttribute, customer_id: id, value: stored });
      }
      if (target === standing.effective) return;
      if (!parked) {
        await this.client.customers.update({ id, customer_group_id: target });
        return;
      }
      const attributeId = this.catalog.idOf("groupBeforeDeactivation");
      if (attributeId !== undefined) await this.client.attributeValues.upsertOne({ attribute_id: attributeId, customer_id: id, value: String(target) });
    } catch (err) {
      await undo.rollBack();
      throw err;
    }
  }
}
