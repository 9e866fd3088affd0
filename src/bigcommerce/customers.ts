/**
 * `/v3/customers`: list, the raw POST/PUT batch calls the batcher builds on, and delete.
 * There is deliberately no V2 `/customers` anywhere in this client.
 */
import type { Customer, CustomerCreate, CustomerId, CustomerListQuery, CustomerUpdate, NonEmpty, Page } from "./api.js";
import { InvalidQueryError } from "./errors.js";
import { validateIdList } from "./id-lists.js";
import { toCustomerId } from "./ids.js";
import type { QueryInput } from "./query.js";
import { customerSchema, pageSchema, writeResponseSchema } from "./schemas.js";
import type { Grant } from "./governor.js";
import { jsonBody, type Transport } from "./transport.js";

/** Items per POST/PUT /v3/customers (more is a 413). */
export const MAX_CUSTOMER_BATCH = 10;
/** Ids per DELETE, and the page size maximum. */
export const MAX_CUSTOMER_IDS = 250;

const customerPage = jsonBody(pageSchema(customerSchema), "GET /v3/customers");
const customerWrite = (what: string) => jsonBody(writeResponseSchema(customerSchema), what);

export interface BatchCallOptions {
  /** Absolute clock time by which waiting for budget must be over. */
  deadline?: number;
  /** The request slot already granted for this call (late-bound batches). */
  grant?: Grant;
}

function checkPaging(page: number | undefined, limit: number | undefined): void {
  if (page !== undefined && (!Number.isInteger(page) || page < 1)) {
    throw new InvalidQueryError(`page must be a positive integer, got ${page}`);
  }
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1 || limit > MAX_CUSTOMER_IDS)) {
    throw new InvalidQueryError(`limit must be an integer in 1..${MAX_CUSTOMER_IDS}, got ${limit}`);
  }
}

function toQuery(query: CustomerListQuery): QueryInput {
  checkPaging(query.page, query.limit);
  const ids = query["id:in"];
  if (ids !== undefined && ids.some((id) => toCustomerId(id) === null)) {
    throw new InvalidQueryError("id:in contains a value that is not a positive int32 id");
  }
  // CustomerListQuery uses BigCommerce's own parameter names, so it maps one to one.
  return { ...query } as QueryInput;
}

export class CustomersEndpoint {
  constructor(private readonly transport: Transport) {}

  list(query: CustomerListQuery, signal?: AbortSignal, options: BatchCallOptions = {}): Promise<Page<Customer>> {
    return this.transport
      .call({
        method: "GET",
        api: "v3",
        path: "/customers",
        query: toQuery(query),
        parse: customerPage,
        ...(signal ? { signal } : {}),
        ...(options.deadline !== undefined ? { deadline: options.deadline } : {}),
        ...(options.grant ? { grant: options.grant } : {}),
      })
      .then((body) => ({ data: body.data, pagination: body.meta.pagination }));
  }

  /** One POST of up to 10 items. Not retried on 5xx or network errors: the batcher re-reads. */
  async postBatch(items: readonly CustomerCreate[], options: BatchCallOptions = {}): Promise<Customer[]> {
    if (items.length === 0 || items.length > MAX_CUSTOMER_BATCH) {
      throw new InvalidQueryError(`POST /v3/customers takes 1..${MAX_CUSTOMER_BATCH} items, got ${items.length}`);
    }
    const body = await this.transport.call({
      method: "POST",
      api: "v3",
      path: "/customers",
      body: items,
      parse: customerWrite("POST /v3/customers"),
      ...(options.deadline !== undefined ? { deadline: options.deadline } : {}),
      ...(options.grant ? { grant: options.grant } : {}),
    });
    return body.data;
  }

  /** One PUT of up to 10 items with distinct ids. Not retried on 5xx or network errors. */
  async putBatch(items: readonly CustomerUpdate[], options: BatchCallOptions = {}): Promise<Customer[]> {
    if (items.length === 0 || items.length > MAX_CUSTOMER_BATCH) {
      throw new InvalidQueryError(`PUT /v3/customers takes 1..${MAX_CUSTOMER_BATCH} items, got ${items.length}`);
    }
    validateIdList(
      items.map((item) => item.id),
      MAX_CUSTOMER_BATCH,
      "PUT /v3/customers",
    );
    const body = await this.transport.call({
      method: "PUT",
      api: "v3",
      path: "/customers",
      body: items,
      parse: customerWrite("PUT /v3/customers"),
      ...(options.deadline !== undefined ? { deadline: options.deadline } : {}),
      ...(options.grant ? { grant: options.grant } : {}),
    });
    return body.data;
  }

  /**
   * `DELETE /v3/customers?id:in=<ids>`, nothing else. The ids are re-validated at run time
   * (1..250 distinct positive int32) and the call is refused before any I/O otherwise:
   * BigCommerce reads a missing `id:in` as "no filter".
   */
  async delete(ids: NonEmpty<CustomerId>): Promise<void> {
    const checked = validateIdList(ids, MAX_CUSTOMER_IDS, "customers.delete");
    await this.transport.call({
      method: "DELETE",
      api: "v3",
      path: "/customers",
      query: { "id:in": checked },
      parse: () => undefined,
    });
  }
}
