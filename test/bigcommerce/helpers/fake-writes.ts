import type { Customer, CustomerCreate, CustomerListQuery, CustomerUpdate, Page } from "../../../src/bigcommerce/api.js";
import type { CustomerWrites } from "../../../src/bigcommerce/batcher.js";
import { ValidationFailedError } from "../../../src/bigcommerce/errors.js";

export type Call =
  | { kind: "post"; items: CustomerCreate[] }
  | { kind: "put"; items: CustomerUpdate[] }
  | { kind: "list"; query: CustomerListQuery; deadline?: number | undefined };

/**
 * An in-memory customers store behind the batcher's CustomerWrites interface, all-or-nothing
 * like the emulator's default. Hooks script faults per call.
 */
export class FakeWrites implements CustomerWrites {
  customers: Customer[] = [];
  calls: Call[] = [];
  private nextId = 100;
  /** Runs before a POST is applied; throw to fail it without writing. */
  beforePost?: (items: CustomerCreate[], n: number) => void;
  /** Runs after a POST was applied; throw to "lose" the response. */
  afterPost?: (items: CustomerCreate[], n: number) => void;
  beforePut?: (items: CustomerUpdate[], n: number) => void;
  afterPut?: (items: CustomerUpdate[], n: number) => void;
  beforeList?: (query: CustomerListQuery) => void;
  delayMs = 0;
  /** The store's clock, for date_created (tests shift it to model time passing). */
  now: () => number = () => Date.now();
  inFlight = 0;
  maxInFlight = 0;

  count(kind: Call["kind"]): number {
    return this.calls.filter((c) => c.kind === kind).length;
  }

  seed(email: string, first = "Pre", last = "Existing", created = "2020-01-01T00:00:00Z"): Customer {
    const customer = this.make({ email, first_name: first, last_name: last }, created);
    this.customers.push(customer);
    return customer;
  }

  private make(item: CustomerCreate, created = new Date(this.now()).toISOString().replace(/\.\d{3}Z$/, "Z")): Customer {
    return {
      id: this.nextId++,
      email: item.email,
      first_name: item.first_name,
      last_name: item.last_name,
      company: item.company ?? "",
      phone: item.phone ?? "",
      notes: "",
      tax_exempt_category: "",
      customer_group_id: 0,
      registration_ip_address: "",
      date_created: created,
      date_modified: created,
      channel_ids: null,
    };
  }

  private async pause(): Promise<void> {
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    await new Promise((r) => setTimeout(r, this.delayMs));
    this.inFlight -= 1;
  }

  async postBatch(items: readonly CustomerCreate[]): Promise<Customer[]> {
    const list = [...items];
    this.calls.push({ kind: "post", items: list });
    const n = this.count("post");
    await this.pause();
    this.beforePost?.(list, n);
    const taken = list.find((i) => this.customers.some((c) => c.email.toLowerCase() === i.email.toLowerCase()));
    if (taken) {
      throw new ValidationFailedError(422, "Create customers failed.", [
        { field: "customer_create", message: `Error creating customers: email ${taken.email} already in use` },
      ]);
    }
    const created = list.map((i) => this.make(i));
    this.customers.push(...created);
    this.afterPost?.(list, n);
    return created;
  }

  async putBatch(items: readonly CustomerUpdate[]): Promise<Customer[]> {
    const list = [...items];
    this.calls.push({ kind: "put", items: list });
    const n = this.count("put");
    await this.pause();
    this.beforePut?.(list, n);
    const missing = list.findIndex((i) => !this.customers.some((c) => c.id === i.id));
    if (missing >= 0) {
      throw new ValidationFailedError(422, "Update customers failed.", [{ index: missing, field: "id", message: "invalid customer ID" }]);
    }
    const out = list.map((i) => {
      const at = this.customers.findIndex((c) => c.id === i.id);
      const { id: _id, authentication: _a, ...fields } = i;
      const next = { ...(this.customers[at] as Customer), ...fields } as Customer;
      this.customers[at] = next;
      return next;
    });
    this.afterPut?.(list, n);
    return out;
  }

  async list(query: CustomerListQuery, _signal?: AbortSignal, options?: { deadline?: number }): Promise<Page<Customer>> {
    this.calls.push({ kind: "list", query, deadline: options?.deadline });
    this.beforeList?.(query);
    const emails = query["email:in"]?.map((e) => e.toLowerCase());
    const ids = query["id:in"];
    const data = this.customers.filter(
      (c) => (emails === undefined || emails.includes(c.email.toLowerCase())) && (ids === undefined || ids.includes(c.id as never)),
    );
    return { data, pagination: { total: data.length, count: data.length, per_page: 250, current_page: 1, total_pages: 1 } };
  }
}
