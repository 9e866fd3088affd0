import type { CustomerGroupId, CustomerId, NonEmpty } from "./api.js";

const MAX_INT32 = 2_147_483_647;
const CANONICAL_POSITIVE_INTEGER = /^[1-9][0-9]{0,9}$/;

/**
 * Parses a SCIM id (or any untrusted value) into a BigCommerce id: a canonical positive
 * int32 in decimal ("7", not "07", "+7", "7.0" or "7e0"). Anything else is not an id
 * this bridge could have issued, so callers answer 404 rather than ask BigCommerce.
 */
function parsePositiveInt32(value: unknown): number | null {
  if (typeof value === "number") {
    return Number.isInteger(value) && value >= 1 && value <= MAX_INT32 ? value : null;
  }
  if (typeof value !== "string" || !CANONICAL_POSITIVE_INTEGER.test(value)) return null;
  const n = Number(value);
  return n <= MAX_INT32 ? n : null;
}

export function toCustomerId(value: unknown): CustomerId | null {
  return parsePositiveInt32(value) as CustomerId | null;
}

export function toCustomerGroupId(value: unknown): CustomerGroupId | null {
  return parsePositiveInt32(value) as CustomerGroupId | null;
}

/** Narrows a list to the non-empty tuple type that delete calls require. */
export function nonEmpty<T>(items: readonly T[]): NonEmpty<T> | null {
  return items.length > 0 ? (items as unknown as NonEmpty<T>) : null;
}
