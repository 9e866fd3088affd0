/**
 * `/v3/customers/attribute-values`: PUT is an upsert taking `value`, GET answers with
 * `attribute_value` (the naming mismatch integrators trip over; the schema reads the latter).
 */
import type { AttributeValueUpsert, CustomerAttributeValue, NonEmpty, Page } from "./api.js";
import { InvalidQueryError } from "./errors.js";
import { validateIdList } from "./id-lists.js";
import { toCustomerId } from "./ids.js";
import { attributeValueSchema, pageSchema, writeResponseSchema } from "./schemas.js";
import type { Grant } from "./governor.js";
import { jsonBody, type Transport } from "./transport.js";

/** "Limit of 10 customers per call". */
export const MAX_ATTRIBUTE_VALUES_PER_CALL = 10;
const MAX_DELETE_IDS = 250;

const valueWrite = jsonBody(writeResponseSchema(attributeValueSchema), "PUT /v3/customers/attribute-values");
const valuePage = jsonBody(pageSchema(attributeValueSchema), "GET /v3/customers/attribute-values");

export interface AttributeValueListQuery {
  "attribute_id:in"?: readonly number[];
  /** RFC 3339 / ISO date: values modified at or after it. */
  "date_modified:min"?: string;
  page?: number;
  limit?: number;
}

export class AttributeValuesEndpoint {
  constructor(private readonly transport: Transport) {}

  /**
   * Upserts in PUTs of up to 10 items, one after the other (so two values for the same
   * customer and attribute keep their order). A PUT is not retried on 5xx or network errors;
   * an upsert is safe to repeat, so the caller may simply call again.
   */
  async upsert(items: readonly AttributeValueUpsert[], options: { grant?: Grant } = {}): Promise<CustomerAttributeValue[]> {
    let grant = options.grant;
    items.forEach((item, index) => {
      if (toCustomerId(item.customer_id) === null || toCustomerId(item.attribute_id) === null) {
        throw new InvalidQueryError(`attribute value #${index}: customer_id and attribute_id must be positive int32 ids`);
      }
    });
    const out: CustomerAttributeValue[] = [];
    for (let i = 0; i < items.length; i += MAX_ATTRIBUTE_VALUES_PER_CALL) {
      const chunk = items.slice(i, i + MAX_ATTRIBUTE_VALUES_PER_CALL).map((item) => ({
        attribute_id: item.attribute_id,
        customer_id: item.customer_id,
        value: item.value,
      }));
      const body = await this.transport.call({
        method: "PUT",
        api: "v3",
        path: "/customers/attribute-values",
        body: chunk,
        parse: valueWrite,
        ...(grant ? { grant } : {}),
      });
      grant = undefined;
      out.push(...body.data);
    }
    return out;
  }

  /** One page of attribute values (GET /v3/customers/attribute-values). */
  async list(query: AttributeValueListQuery): Promise<Page<CustomerAttributeValue>> {
    if (query.limit !== undefined && (!Number.isInteger(query.limit) || query.limit < 1 || query.limit > 250)) {
      throw new InvalidQueryError(`limit must be an integer in 1..250, got ${query.limit}`);
    }
    const body = await this.transport.call({
      method: "GET",
      api: "v3",
      path: "/customers/attribute-values",
      query: { ...query },
      parse: valuePage,
    });
    return { data: body.data, pagination: body.meta.pagination };
  }

  /** `DELETE /v3/customers/attribute-values?id:in=<attribute value ids>`, validated like customer deletes. */
  async delete(ids: NonEmpty<number>): Promise<void> {
    const checked = validateIdList(ids, MAX_DELETE_IDS, "attributeValues.delete");
    await this.transport.call({
      method: "DELETE",
      api: "v3",
      path: "/customers/attribute-values",
      query: { "id:in": checked },
      parse: () => undefined,
    });
  }
}
