import type { BigCommerceClient, Customer, CustomerId, CustomerListQuery, CustomerSort } from "../../bigcommerce/index.js";
import { CUSTOMER_INCLUDE, toCustomerId } from "../../bigcommerce/index.js";
import { userFromCustomer, type ScimUser, type UserViewContext } from "../../mapping/customer-to-user.js";
import { invalidFilter, invalidValue, notFound } from "../errors.js";
import { matchesFilter } from "../filter/evaluate.js";
import type { FilterAst } from "../filter/parse.js";
import { planUserQuery, type Lookup } from "../filter/plan.js";
import { MAX_PAGE_SIZE, pagesForWindow } from "../list-window.js";
import type { ExternalIdIndex } from "./external-id-index.js";
import { RecentReads } from "./recent-reads.js";

export interface ListRequest {
  filter: FilterAst | null;
  startIndex: number;
  count: number;
  sortBy: string | null;
  sortOrder: "ascending" | "descending";
}

export interface ListResult {
  totalResults: number;
  resources: ScimUser[];
}

/** SCIM sort attributes BigCommerce can sort by itself. */
const PUSHDOWN_SORT: Record<string, [CustomerSort, CustomerSort]> = {
  "meta.created": ["date_created:asc", "date_created:desc"],
  "meta.lastmodified": ["date_modified:asc", "date_modified:desc"],
  "name.familyname": ["last_name:asc", "last_name:desc"],
};


function sortValue(user: ScimUser, path: string): string | number | boolean | undefined {
  let node: unknown = user;
  for (const part of path.split(".")) {
    if (Array.isArray(node)) node = node.find((v) => (v as { primary?: boolean }).primary) ?? node[0];
    if (typeof node !== "object" || node === null) return undefined;
    const key = Object.keys(node).find((k) => k.toLowerCase() === part.toLowerCase());
    node = key === undefined ? undefined : (node as Record<string, unknown>)[key];
  }
  if (Array.isArray(node)) node = node.find((v) => (v as { primary?: boolean }).primary) ?? node[0];
  if (typeof node === "object" && node !== null) node = (node as { value?: unknown }).value;
  return typeof node === "string" ? node.toLowerCase() : (node as number | boolean | undefined);
}

export class UserReader {
  private readonly include: NonNullable<CustomerListQuery["include"]>;

  constructor(
    private readonly client: BigCommerceClient,
    private readonly index: ExternalIdIndex,
    private readonly maxScan: number,
    /** What this process read for each client a moment ago (PATCH/PUT may start from it). */
    readonly recent: RecentReads = new RecentReads(0),
    /** Whether SCIM shows addresses (then every list includes them, as single reads do). */
    withAddresses = false,
    /** Customers whose remembered memberships or return group (parked) name a group (groups/member-listing.ts). */
    private readonly storedMembers: (groupId: number) => Promise<readonly CustomerId[]> = async () => [],
  ) {
    this.include = withAddresses ? [...CUSTOMER_INCLUDE, "addresses"] : [...CUSTOMER_INCLUDE];
  }


  /**
   * The customer behind a SCIM id: one BigCommerce call, shared with concurrent reads. With
   * `recent` (a write's base), the same client's read of a moment ago serves instead.
   */
  async getCustomer(id: string, options: { recent?: boolean } = {}): Promise<Customer> {
    const customerId = toCustomerId(id);
    if (!customerId) throw notFound(`User ${id}`);
    const remembered = options.recent ? await this.recent.recall(customerId) : undefined;
    if (remembered) return remembered;
    const since = await this.recent.mark();
    const customer = await this.client.customers.get(customerId);
    if (!customer) throw notFound(`User ${id}`);
    await this.recent.remember([customer], since);
    return customer;
  }

  async list(req: ListRequest, view: UserViewContext): Promise<ListResult> {
    const sortKey = req.sortBy?.toLowerCase() ?? null;
    if (!req.filter) {
      const pushdown = sortKey === null || sortKey === "id" ? null : PUSHDOWN_SORT[sortKey];
      if (sortKey === null || sortKey === "id" || pushdown) {
        const sort = pushdown ? pushdown[req.sortOrder === "descending" ? 1 : 0] : undefined;
        if (sortKey === "id" && req.sortOrder === "descending") {
          return this.windowOf(await this.scan(view), req);
        }
        return this.pageThrough(req, view, sort);
      }
      return this.windowOf(await this.scan(view), req);
    }
    const candidates = await this.candidates(req.filter, view);
    const filter = req.filter;
    return this.windowOf(candidates.filter((u) => matchesFilter(u, filter)), req);
  }

  /** Unfiltered list: BigCommerce pages map onto the SCIM window directly. */
  private async pageThrough(req: ListRequest, view: UserViewContext, sort: CustomerSort | undefined): Promise<ListResult> {
    const plan = pagesForWindow(req.startIndex, req.count);
    const customers: Customer[] = [];
    let total = 0;
    for (const page of plan.pages) {
      const result = await this.client.customers.list({ include: this.include, page, limit: plan.limit, ...(sort ? { sort } : {}) });
      total = result.pagination.total;
      customers.push(...result.data);
      if (result.data.length < plan.limit) break;
    }
    const window = req.count <= 0 ? [] : customers.slice(plan.skip, plan.skip + req.count);
    return { totalResults: total, resources: window.map((c) => userFromCustomer(c, view)) };
  }

  private windowOf(users: ScimUser[], req: ListRequest): ListResult {
    let sorted = users;
    if (req.sortBy) {
      const path = req.sortBy;
      const dir = req.sortOrder === "descending" ? -1 : 1;
      sorted = [...users].sort((a, b) => {
        const va = sortValue(a, path);
        const vb = sortValue(b, path);
        if (va === vb) return Number(a.id) - Number(b.id);
        if (va === undefined) return 1; // missing values sort last either way (RFC 7644 §3.4.2.3)
        if (vb === undefined) return -1;
        return (va < vb ? -1 : 1) * dir;
      });
    }
    const start = req.startIndex - 1;
    return { totalResults: sorted.length, resources: req.count <= 0 ? [] : sorted.slice(start, start + req.count) };
  }

  private async candidates(filter: FilterAst, view: UserViewContext): Promise<ScimUser[]> {
    const plan = planUserQuery(filter);
    if (plan.kind === "nothing") return [];
    if (plan.kind === "scan") return this.scan(view, filter);
    const byId = new Map<number, Customer>();
    for (const lookup of plan.lookups) {
      for (const c of await this.runLookup(lookup)) byId.set(c.id, c);
    }
    return [...byId.values()].sort((a, b) => a.id - b.id).map((c) => userFromCustomer(c, view));
  }

  private async runLookup(lookup: Lookup): Promise<Customer[]> {
    const params = { ...lookup.params };
    const emails = params["email:in"];
    // An email lookup alone (userName eq / emails eq) shares its call with concurrent ones.
    if (emails && lookup.externalId === undefined && Object.keys(params).length === 1) {
      const since = await this.recent.mark();
      const found = await this.client.customers.findByEmails(emails);
      await this.recent.remember(found, since);
      return found;
    }
    if (lookup.memberOfGroup !== undefined) {
      const ids = await this.storedMembers(lookup.memberOfGroup);
      const out: Customer[] = [];
      // `id:in` in reads of 50 ids, each bounded like any other lookup.
      for (let i = 0; i < ids.length; i += 50) out.push(...(await this.readAll({ ...params, "id:in": ids.slice(i, i + 50) }, "this filter")));
      return out;
    }
    if (lookup.externalId !== undefined) {
      const ids = await this.index.lookup(lookup.externalId);
      if (ids.length === 0) return [];
      const wanted = params["id:in"] ? ids.filter((id) => params["id:in"]!.includes(id)) : ids;
      if (wanted.length === 0) return [];
      params["id:in"] = wanted;
    }
    return this.readAll(params, "this filter");
  }

  /** Every customer matching the params, refusing (400) rather than reading past the scan bound. */
  private async readAll(params: Omit<CustomerListQuery, "page" | "limit" | "include">, what: string): Promise<Customer[]> {
    const out: Customer[] = [];
    for (let page = 1; ; page++) {
      const result = await this.client.customers.list({ ...params, include: this.include, page, limit: MAX_PAGE_SIZE });
      if (result.pagination.total > this.maxScan) {
        throw invalidFilter(
          `${what} would need reading ${result.pagination.total} customers, more than this bridge's limit of ${this.maxScan}; ` +
            "filter on userName, emails.value, id, externalId, groups.value or meta.created",
        );
      }
      out.push(...result.data);
      if (result.data.length < MAX_PAGE_SIZE || page >= result.pagination.total_pages) return out;
    }
  }

  private async scan(view: UserViewContext, filter?: FilterAst): Promise<ScimUser[]> {
    const what = filter ? "This filter can't be answered by BigCommerce and" : "Sorting on this attribute";
    if (!filter && this.maxScan === 0) throw invalidValue("sortBy supports meta.created, meta.lastModified and name.familyName");
    const customers = await this.readAll({}, what);
    return customers.map((c) => userFromCustomer(c, view));
  }
}
