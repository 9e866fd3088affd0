/**
 * `/v3/customers/metafields` (batch endpoints). Unlike customers, these are documented as
 * partial-success: a 422 carries the items that were written in `data` and the failed ones in
 * `errors[].errors`, keyed by their index in the request.
 */
import type { Metafield, MetafieldCreate, MetafieldListQuery, MetafieldUpdate, NonEmpty, Page } from "./api.js";
import { ConflictError, InvalidQueryError, ValidationFailedError, type FieldError } from "./errors.js";
import { validateIdList } from "./id-lists.js";
import { toCustomerId } from "./ids.js";
import { metafieldDeleteSchema, metafieldSchema, metafieldWriteSchema, pageSchema } from "./schemas.js";
import type { HttpResponse } from "./http.js";
import type { Grant } from "./governor.js";
import { jsonBody, type Transport } from "./transport.js";
import type { z } from "zod";

const PATH = "/customers/metafields";
/** Items per POST/PUT/DELETE; BigCommerce documents no maximum, so stay at the customers-wide 10. */
export const METAFIELDS_PER_CALL = 10;
const CHUNK = METAFIELDS_PER_CALL;
const MAX_DELETE_IDS = 250;

const metafieldPage = jsonBody(pageSchema(metafieldSchema), "GET /v3/customers/metafields");
const metafieldWrite = jsonBody(metafieldWriteSchema, "metafield batch write");
const deleteBody = jsonBody(metafieldDeleteSchema, "DELETE /v3/customers/metafields");
const metafieldDelete = (response: HttpResponse) =>
  response.status === 204 || response.body === undefined ? { data: [], errors: [] } : deleteBody(response);

type BatchErrors = NonNullable<z.output<typeof metafieldWriteSchema>["errors"]>;

/** Per-item errors of a partial-success answer, with the chunk offset added to each index. */
function itemErrors(errors: BatchErrors, offset: number): FieldError[] {
  const out: FieldError[] = [];
  for (const entry of errors) {
    for (const [key, value] of Object.entries(entry.errors ?? {})) {
      const message = typeof value === "string" ? value : JSON.stringify(value);
      const field: FieldError = { field: "metafield", message };
      if (/^\d+$/.test(key)) field.index = offset + Number(key);
      else field.field = key;
      out.push(field);
    }
    if (!entry.errors || Object.keys(entry.errors).length === 0) out.push({ field: "metafield", message: entry.title ?? "failed" });
  }
  return out;
}

function failure(fields: FieldError[], written: number): Error {
  const note = written > 0 ? ` (${written} other item(s) were written)` : "";
  if (fields.some((f) => /already exists|duplicate/i.test(f.message))) {
    return new ConflictError(`metafield already exists${note}: ${fields.map((f) => f.message).join("; ")}`, { status: 409 });
  }
  return new ValidationFailedError(422, `Metafield batch failed${note}`, fields);
}

export class MetafieldsEndpoint {
  constructor(private readonly transport: Transport) {}

  async list(query: MetafieldListQuery): Promise<Page<Metafield>> {
    if (query.limit !== undefined && (!Number.isInteger(query.limit) || query.limit < 1 || query.limit > 250)) {
      throw new InvalidQueryError(`limit must be an integer in 1..250, got ${query.limit}`);
    }
    if (query.page !== undefined && (!Number.isInteger(query.page) || query.page < 1)) {
      throw new InvalidQueryError(`page must be a positive integer, got ${query.page}`);
    }
    const body = await this.transport.call({
      method: "GET",
      api: "v3",
      path: PATH,
      query: { ...query },
      parse: metafieldPage,
    });
    return { data: body.data, pagination: body.meta.pagination };
  }

  /**
   * POSTs in chunks of 10. Throws ConflictError (namespace+key already exists for that
   * customer) or ValidationFailedError naming the failed items' indexes; items not named were
   * written. Not retried on 5xx or network errors: list() before trying again.
   */
  async create(items: readonly MetafieldCreate[], options: { grant?: Grant } = {}): Promise<Metafield[]> {
    items.forEach((item, index) => {
      if (toCustomerId(item.resource_id) === null) {
        throw new InvalidQueryError(`metafield #${index}: resource_id must be a positive int32 customer id`);
      }
    });
    return this.write("POST", items, options.grant);
  }

  async update(items: readonly MetafieldUpdate[]): Promise<Metafield[]> {
    items.forEach((item, index) => {
      if (toCustomerId(item.id) === null) throw new InvalidQueryError(`metafield update #${index}: id must be a positive int32`);
    });
    return this.write("PUT", items);
  }

  private async write(method: "POST" | "PUT", items: readonly object[], firstGrant?: Grant): Promise<Metafield[]> {
    let grant = firstGrant;
    const out: Metafield[] = [];
    const fields: FieldError[] = [];
    for (let i = 0; i < items.length; i += CHUNK) {
      const body = await this.transport.call({
        method,
        api: "v3",
        path: PATH,
        body: items.slice(i, i + CHUNK),
        accept: [422],
        parse: metafieldWrite,
        ...(grant ? { grant } : {}),
      });
      grant = undefined;
      out.push(...body.data);
      if (body.errors && body.errors.length > 0) fields.push(...itemErrors(body.errors, i));
    }
    if (fields.length > 0) throw failure(fields, out.length);
    return out;
  }

  /**
   * Deletes metafields by id: BigCommerce's batch DELETE takes the ids as a JSON array body.
   * Ids are validated like customer deletes (1..250 distinct positive ids) before any I/O.
   * An id that no longer exists is not an error (so a repeated delete is harmless).
   */
  async delete(ids: NonEmpty<number>): Promise<void> {
    const checked = validateIdList(ids, MAX_DELETE_IDS, "metafields.delete");
    for (let i = 0; i < checked.length; i += CHUNK) {
      const body = await this.transport.call({
        method: "DELETE",
        api: "v3",
        path: PATH,
        body: checked.slice(i, i + CHUNK),
        accept: [422],
        parse: metafieldDelete,
      });
      const problems = itemErrors(body.errors ?? [], i).filter((f) => !/does not exist|not found/i.test(f.message));
      if (problems.length > 0) throw new ValidationFailedError(422, "Metafield delete failed", problems);
    }
  }
}
