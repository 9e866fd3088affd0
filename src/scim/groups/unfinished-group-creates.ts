import type { CustomerGroupId } from "../../bigcommerce/index.js";

/**
 * Groups created for a `POST /Groups` that then failed (members not all written), by lower-case
 * displayName, so that the IdP's retry finishes that group instead of meeting a 409. In this
 * process by default; replicas share it through Redis (src/shared-state), so the retry may land
 * on any replica.
 */
export interface UnfinishedGroupCreates {
  get(name: string): Promise<CustomerGroupId | undefined>;
  set(name: string, groupId: CustomerGroupId): Promise<void>;
  delete(name: string): Promise<void>;
}

/** Bounded: the oldest entries go first. */
export class InProcessUnfinishedGroupCreates implements UnfinishedGroupCreates {
  private readonly entries = new Map<string, CustomerGroupId>();

  constructor(private readonly kept = 1000) {}

  async get(name: string): Promise<CustomerGroupId | undefined> {
    return this.entries.get(name);
  }

  async set(name: string, groupId: CustomerGroupId): Promise<void> {
    this.entries.delete(name);
    this.entries.set(name, groupId);
    while (this.entries.size > this.kept) this.entries.delete(this.entries.keys().next().value!);
  }

  async delete(name: string): Promise<void> {
    this.entries.delete(name);
  }
}
