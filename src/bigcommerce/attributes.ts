/**
 * `/v3/customers/attributes`: the store's attribute definitions (at most 50 per store; the
 * type of a definition can never change).
 */
import type { AttributeDefinition } from "./api.js";
import { ValidationFailedError } from "./errors.js";
import { attributeDefinitionSchema, pageSchema, writeResponseSchema } from "./schemas.js";
import { jsonBody, type Transport } from "./transport.js";

const PAGE_SIZE = 250;
/** Definitions per POST; BigCommerce documents no maximum, 10 is the customers-wide batch size. */
const CREATE_CHUNK = 10;
/** A store holds at most 50 definitions; a longer walk means the pagination is broken. */
const MAX_PAGES = 20;

const attributePage = jsonBody(pageSchema(attributeDefinitionSchema), "GET /v3/customers/attributes");
const attributeWrite = jsonBody(writeResponseSchema(attributeDefinitionSchema), "POST /v3/customers/attributes");

export class AttributesEndpoint {
  constructor(private readonly transport: Transport) {}

  /** Every definition, following pages. */
  async list(): Promise<AttributeDefinition[]> {
    const all: AttributeDefinition[] = [];
    for (let page = 1; page <= MAX_PAGES; page += 1) {
      const body = await this.transport.call({
        method: "GET",
        api: "v3",
        path: "/customers/attributes",
        query: { page, limit: PAGE_SIZE },
        parse: attributePage,
      });
      all.push(...body.data);
      const { current_page, total_pages } = body.meta.pagination;
      if (body.data.length === 0 || current_page >= total_pages) break;
    }
    return all;
  }

  /**
   * Creates definitions in POSTs of up to 10, one after the other. Not retried on 5xx or
   * network errors (POST): on UpstreamUnavailableError call list() to see what exists.
   */
  async create(items: readonly { name: string; type: AttributeDefinition["type"] }[]): Promise<AttributeDefinition[]> {
    const names = new Set<string>();
    items.forEach((item, index) => {
      if (names.has(item.name)) {
        throw new ValidationFailedError(422, "Duplicate attribute name in one request", [
          { index, field: "name", message: `"${item.name}" appears twice` },
        ]);
      }
      names.add(item.name);
    });
    const created: AttributeDefinition[] = [];
    for (let i = 0; i < items.length; i += CREATE_CHUNK) {
      const chunk = items.slice(i, i + CREATE_CHUNK).map((item) => ({ name: item.name, type: item.type }));
      const body = await this.transport.call({
        method: "POST",
        api: "v3",
        path: "/customers/attributes",
        body: chunk,
        parse: attributeWrite,
      });
      created.push(...body.data);
    }
    return created;
  }
}
