/**
 * V2 `/customer_groups`: bare JSON arrays (no envelope), **204 with an empty body when a list is
 * empty**, errors as `[{status, message}]`. Not deprecated, unlike V2 customers (which this client
 * never calls).
 */
import type { CustomerGroup, CustomerGroupId, CustomerGroupListQuery } from "./api.js";
import {
  InvalidQueryError,
  NotFoundError,
  OutcomeUnknownError,
  UnexpectedResponseError,
  UpstreamUnavailableError,
} from "./errors.js";
import { toCustomerGroupId } from "./ids.js";
import type { HttpResponse } from "./http.js";
import { countSchema, customerGroupSchema } from "./schemas.js";
import { jsonBody, type Transport } from "./transport.js";
import { z } from "zod";

const groupList = jsonBody(z.array(customerGroupSchema), "GET /v2/customer_groups");
const groupBody = jsonBody(customerGroupSchema, "customer group");
const countBody = jsonBody(countSchema, "GET /v2/customer_groups/count");

function checkId(id: CustomerGroupId): number {
  const checked = toCustomerGroupId(id);
  if (checked === null) throw new InvalidQueryError("customer group id must be a positive int32");
  return checked;
}

/** 207: "created/updated, but the sitewide discount update failed": the group is not in the body. */
const is207 = (response: HttpResponse): boolean => response.status === 207;

/** V2 dates have second resolution ("2023-07-17 06:30:41", or RFC 2822 on older stores). */
const GROUP_CREATED_TOLERANCE_MS = 2_000;

function createdSince(group: CustomerGroup, since: number): boolean {
  const raw = group.date_created;
  if (!raw) return false;
  const t = Date.parse(/^\d{4}-\d\d-\d\d \d/.test(raw) ? `${raw.replace(" ", "T")}Z` : raw);
  return !Number.isNaN(t) && t >= since;
}

export class CustomerGroupsEndpoint {
  constructor(private readonly transport: Transport) {}

  list(query: CustomerGroupListQuery): Promise<CustomerGroup[]> {
    if (query.limit !== undefined && (!Number.isInteger(query.limit) || query.limit < 1 || query.limit > 250)) {
      throw new InvalidQueryError(`limit must be an integer in 1..250, got ${query.limit}`);
    }
    if (query.page !== undefined && (!Number.isInteger(query.page) || query.page < 1)) {
      throw new InvalidQueryError(`page must be a positive integer, got ${query.page}`);
    }
    return this.transport.call({
      method: "GET",
      api: "v2",
      path: "/customer_groups",
      query: { ...query },
      // An empty V2 list is 204 with no body at all, not `[]`.
      parse: (response) => (response.status === 204 || response.body === undefined ? [] : groupList(response)),
    });
  }

  /** null when BigCommerce answers 404. */
  get(id: CustomerGroupId): Promise<CustomerGroup | null> {
    const checked = checkId(id);
    return this.transport.call({
      method: "GET",
      api: "v2",
      path: `/customer_groups/${checked}`,
      accept: [404],
      parse: (response) => (response.status === 404 ? null : groupBody(response)),
    });
  }

  /**
   * ConflictError (409) when the name is taken. Not retried on 5xx (POST). When the answer is
   * lost (or a 5xx), the group may have been created all the same: it is looked up by its exact
   * name before the failure is reported, so the IdP's retry does not meet a 409 for it.
   */
  async create(input: { name: string }): Promise<CustomerGroup> {
    let created: CustomerGroup | null;
    const attemptStarted = Date.now();
    try {
      created = await this.transport.call({
        method: "POST",
        api: "v2",
        path: "/customer_groups",
        body: { name: input.name },
        parse: (response) => (is207(response) ? null : groupBody(response)),
      });
    } catch (error) {
      if (!(error instanceof UpstreamUnavailableError)) throw error;
      let found: CustomerGroup | undefined;
      try {
        found = (await this.list({ name: input.name })).find((g) => g.name === input.name);
      } catch (readError) {
        throw new OutcomeUnknownError("customer group create failed and the re-read to check its outcome failed too", {
          cause: { write: error, read: readError },
        });
      }
      // Only a group that did not exist before this attempt can be ours: a merchant's group of
      // the same name must never be handed to the IdP (it could then delete it).
      if (found && createdSince(found, attemptStarted - GROUP_CREATED_TOLERANCE_MS)) return found;
      throw error;
    }
    return created ?? this.findByName(input.name);
  }

  /** NotFoundError for an unknown id, ConflictError for a taken name. Not retried on 5xx (PUT). */
  async update(id: CustomerGroupId, input: { name?: string }): Promise<CustomerGroup> {
    const checked = checkId(id);
    const body: { name?: string } = {};
    if (input.name !== undefined) body.name = input.name;
    const updated = await this.transport.call({
      method: "PUT",
      api: "v2",
      path: `/customer_groups/${checked}`,
      body,
      parse: (response) => (is207(response) ? null : groupBody(response)),
    });
    if (updated) return updated;
    const reread = await this.get(checked as CustomerGroupId);
    if (!reread) throw new NotFoundError(`customer group ${checked} disappeared after update`);
    return reread;
  }

  /**
   * Members are unassigned by BigCommerce. NotFoundError when the group does not exist. A 404 on
   * a resend after an attempt without an answer (or a 5xx) means that attempt deleted it.
   */
  async delete(id: CustomerGroupId): Promise<void> {
    const checked = checkId(id);
    await this.transport.call({
      method: "DELETE",
      api: "v2",
      path: `/customer_groups/${checked}`,
      acceptAfterUnknown: [404],
      parse: () => undefined,
    });
  }

  async count(): Promise<number> {
    const body = await this.transport.call({ method: "GET", api: "v2", path: "/customer_groups/count", parse: countBody });
    return body.count;
  }

  /** After a 207 the group exists but was not returned: find it by its exact name. */
  private async findByName(name: string): Promise<CustomerGroup> {
    const found = (await this.list({ name })).find((g) => g.name === name);
    if (!found) throw new UnexpectedResponseError(`customer group "${name}" was reported created (207) but cannot be found`);
    return found;
  }
}
