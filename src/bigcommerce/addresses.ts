/**
 * `/v3/customers/addresses`: the raw batch calls the shared-write lanes build on (client.ts).
 * A create or update that would duplicate another address of the same customer changes nothing
 * and is left out of `data` (the body may then be `{}`, the spec's
 * DuplicateAddressCollectionResponse), so results are matched to items by content, never by
 * position.
 */
import type { AddressCreate, AddressUpdate, CustomerAddress } from "./api.js";
import { InvalidQueryError } from "./errors.js";
import { validateIdList } from "./id-lists.js";
import { toCustomerId } from "./ids.js";
import type { Grant } from "./governor.js";
import { addressSchema } from "./schemas.js";
import { jsonBody, type Transport } from "./transport.js";
import { z } from "zod";

/** Items per POST/PUT: BigCommerce documents no maximum; the customers-wide 10 is safe. */
export const ADDRESSES_PER_CALL = 10;
/** Ids per DELETE (the customers-wide id list limit). */
export const ADDRESS_IDS_PER_DELETE = 250;

/** `{data, meta}`, or `{}` when every item was a duplicate. */
const addressWrite = (what: string) => jsonBody(z.looseObject({ data: z.array(addressSchema).default([]) }), what);
const postWrite = addressWrite("POST /v3/customers/addresses");
const putWrite = addressWrite("PUT /v3/customers/addresses");

const loose = (v: string | undefined) => (v ?? "").trim().toLowerCase();

/**
 * Whether a written address is the one an item asked for. Compared loosely (case, spaces) on
 * the fields that tell a customer's addresses apart, in case BigCommerce tidies a value; the
 * type keeps a work and a home address with the same lines apart.
 */
export function sameAddress(written: CustomerAddress, item: AddressCreate): boolean {
  return (
    written.customer_id === item.customer_id &&
    (item.address_type === undefined || loose(written.address_type) === item.address_type) &&
    (["address1", "address2", "city", "country_code", "postal_code"] as const).every((f) => loose(written[f]) === loose(item[f]))
  );
}

export class AddressesEndpoint {
  constructor(private readonly transport: Transport) {}

  /** One POST; per item the created address, or undefined for a duplicate (nothing written). */
  async create(items: readonly AddressCreate[], options: { grant?: Grant } = {}): Promise<(CustomerAddress | undefined)[]> {
    if (items.length === 0 || items.length > ADDRESSES_PER_CALL) {
      throw new InvalidQueryError(`POST /v3/customers/addresses takes 1..${ADDRESSES_PER_CALL} items, got ${items.length}`);
    }
    items.forEach((item, i) => {
      if (toCustomerId(item.customer_id) === null) throw new InvalidQueryError(`address #${i}: customer_id must be a positive int32 id`);
    });
    const body = await this.transport.call({
      method: "POST",
      api: "v3",
      path: "/customers/addresses",
      body: items,
      parse: postWrite,
      ...(options.grant ? { grant: options.grant } : {}),
    });
    const left = [...body.data];
    return items.map((item) => {
      const i = left.findIndex((w) => sameAddress(w, item));
      return i < 0 ? undefined : left.splice(i, 1)[0];
    });
  }

  /** One PUT of items with distinct ids; per item the address, or undefined (it would duplicate another). */
  async update(items: readonly AddressUpdate[], options: { grant?: Grant } = {}): Promise<(CustomerAddress | undefined)[]> {
    if (items.length === 0 || items.length > ADDRESSES_PER_CALL) {
      throw new InvalidQueryError(`PUT /v3/customers/addresses takes 1..${ADDRESSES_PER_CALL} items, got ${items.length}`);
    }
    validateIdList(
      items.map((i) => i.id),
      ADDRESSES_PER_CALL,
      "PUT /v3/customers/addresses",
    );
    const body = await this.transport.call({
      method: "PUT",
      api: "v3",
      path: "/customers/addresses",
      body: items,
      parse: putWrite,
      ...(options.grant ? { grant: options.grant } : {}),
    });
    return items.map((item) => body.data.find((w) => w.id === item.id));
  }

  /** `DELETE /v3/customers/addresses?id:in=<ids>`, validated like customer deletes (never without ids). */
  async delete(ids: readonly number[], options: { grant?: Grant } = {}): Promise<void> {
    const checked = validateIdList(ids, ADDRESS_IDS_PER_DELETE, "addresses.delete");
    await this.transport.call({
      method: "DELETE",
      api: "v3",
      path: "/customers/addresses",
      query: { "id:in": checked },
      parse: () => undefined,
      ...(options.grant ? { grant: options.grant } : {}),
    });
  }
}
