import type { AddressCreate, AddressFields, BigCommerceClient, Customer, CustomerAddress, CustomerId } from "../../bigcommerce/index.js";
import { sameAddress, ValidationFailedError } from "../../bigcommerce/index.js";
import {
  addressDiff,
  addressTypeOf,
  formatLedger,
  parseLedger,
  SCIM_SUB_OF_ADDRESS_FIELD,
  type AddressMapping,
  type AddressRequest,
} from "../../mapping/customer-addresses.js";
import { invalidValue, uniqueness } from "../errors.js";
import type { UndoLog } from "../undo-log.js";

/**
 * The address part of a User write (customer-addresses.ts decides what is wanted): which of the
 * bridge's own addresses to create, update in place (same BigCommerce id) or delete, and the
 * ledger value that remembers them. Planned before any write; written inside the request's
 * UndoLog, so a failed request leaves the customer's addresses as they were.
 */
export interface AddressPlan {
  creates: { type: string; scimName: string; fields: AddressFields }[];
  updates: { type: string; scimName: string; have: CustomerAddress; diff: Partial<AddressFields> }[];
  deletes: { type: string; id: number }[];
  /** The ledger as read, and without the deleted and vanished types (creates add theirs when written). */
  ledgerBefore: string;
  ledgerKept: Map<string, number>;
}

export function planHasWork(plan: AddressPlan | undefined): boolean {
  if (!plan) return false;
  return plan.creates.length > 0 || plan.updates.length > 0 || plan.deletes.length > 0 || formatLedger(plan.ledgerKept) !== plan.ledgerBefore;
}

export class AddressWriter {
  constructor(
    private readonly client: BigCommerceClient,
    readonly mapping: AddressMapping,
  ) {}

  /**
   * What the request changes: `request` undefined = nothing. The names are the customer's (as
   * the request leaves them), so a renamed user's addresses follow.
   */
  plan(current: Customer, ledgerValue: string | undefined, request: AddressRequest | undefined, names: Pick<AddressFields, "first_name" | "last_name">): AddressPlan | undefined {
    if (!request) return undefined;
    const ledger = parseLedger(ledgerValue);
    const owned = this.mapping.ownedAddresses(current, ledgerValue);
    const plan: AddressPlan = { creates: [], updates: [], deletes: [], ledgerBefore: ledgerValue ?? "", ledgerKept: new Map() };
    for (const [type, id] of ledger) {
      // Types the mapping no longer lists are left alone (and stay remembered).
      if (!this.mapping.types.includes(type)) plan.ledgerKept.set(type, id);
    }
    for (const type of this.mapping.types) {
      const want = request.wanted.get(type);
      const have = owned.get(type);
      if (want === undefined) {
        if (have) plan.deletes.push({ type, id: have.id });
        continue;
      }
      const fields: AddressFields = { ...names, ...want.fields };
      if (have) {
        plan.ledgerKept.set(type, have.id);
        const diff = addressDiff(have, fields);
        if (Object.keys(diff).length > 0) plan.updates.push({ type, scimName: want.scimName, have, diff });
      } else {
        plan.creates.push({ type, scimName: want.scimName, fields });
      }
    }
    return plan;
  }

  /**
   * Creates and updates (before the ledger is written: a new address's id must be known), each
   * with its inverse pushed first. Resolves with the ledger value to write and the addresses as
   * they now are.
   */
  async write(customerId: CustomerId, current: Customer, plan: AddressPlan, undo: UndoLog): Promise<{ ledger: string; written: CustomerAddress[] }> {
    const ledger = new Map(plan.ledgerKept);
    const written: CustomerAddress[] = [];
    const before = new Set((current.addresses ?? []).map((a) => a.id));
    const outcomes = await Promise.allSettled([
      ...plan.creates.map(async (c) => {
        const item: AddressCreate = { customer_id: customerId, ...c.fields, address_type: addressTypeOf(c.type) };
        let createdId: number | undefined;
        // A create whose answer is lost may have landed: then the inverse finds it by content.
        undo.push(`address ${c.type}`, () =>
          createdId !== undefined ? this.client.addresses.deleteOne(createdId) : this.deleteCreated(before, item),
        );
        const created = await this.refusalNamed(c.scimName, () => this.client.addresses.createOne(item));
        if (!created) throw duplicate(c.scimName);
        createdId = created.id;
        ledger.set(c.type, created.id);
        written.push(created);
      }),
      ...plan.updates.map(async (u) => {
        const restore = Object.fromEntries(Object.keys(u.diff).map((k) => [k, u.have[k as keyof AddressFields]]));
        undo.push(`address ${u.type}`, () => this.client.addresses.updateOne({ id: u.have.id, ...restore }));
        const updated = await this.refusalNamed(u.scimName, () => this.client.addresses.updateOne({ id: u.have.id, ...u.diff }));
        if (!updated) throw duplicate(u.scimName);
        written.push(updated);
      }),
    ]);
    // Every write has settled before the request may undo them (none is still in flight then).
    const failed = outcomes.find((o) => o.status === "rejected");
    if (failed) throw failed.reason;
    // The ledger lists types in the mapping's order, then the ones it no longer lists.
    const ordered = new Map([...this.mapping.types.filter((t) => ledger.has(t)).map((t) => [t, ledger.get(t)!] as const), ...ledger]);
    return { ledger: formatLedger(ordered), written };
  }

  /**
   * Deletes last, once everything that can fail has been written: a deleted address cannot be
   * brought back under its id. Only ids from the ledger reach here.
   */
  async deleteRemoved(plan: AddressPlan): Promise<void> {
    await Promise.all(plan.deletes.map((d) => this.client.addresses.deleteOne(d.id)));
  }

  /** The customer's addresses after the write. */
  static after(current: Customer, plan: AddressPlan | undefined, written: CustomerAddress[]): CustomerAddress[] | undefined {
    if (!plan || current.addresses === undefined) return current.addresses;
    const gone = new Set([...plan.deletes.map((d) => d.id), ...written.map((w) => w.id)]);
    return [...current.addresses.filter((a) => !gone.has(a.id)), ...written];
  }

  private async deleteCreated(before: ReadonlySet<number>, item: AddressCreate): Promise<void> {
    const now = await this.client.customers.get(item.customer_id);
    const created = (now?.addresses ?? []).filter((a) => !before.has(a.id) && sameAddress(a, item));
    await Promise.all(created.map((a) => this.client.addresses.deleteOne(a.id)));
  }

  /** BigCommerce's refusal of an address value, named as the SCIM attribute the IdP sent. */
  private async refusalNamed<T>(scimName: string, write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } catch (err) {
      if (!(err instanceof ValidationFailedError)) throw err;
      const first = err.fields[0];
      const field = typeof first?.field === "string" ? first.field.replace(/^\d+\./, "") : "";
      const sub = SCIM_SUB_OF_ADDRESS_FIELD[field];
      const attribute = sub === undefined ? scimName : sub.startsWith("name.") ? sub : `${scimName}.${sub}`;
      const message = typeof first?.message === "string" ? `: ${first.message}` : "";
      throw invalidValue(`BigCommerce refused the value of '${attribute}'${message}`);
    }
  }
}

const duplicate = (scimName: string) =>
  uniqueness(`'${scimName}' is the same as another address this customer already has; BigCommerce keeps one copy and the bridge does not take over the shopper's own`);
