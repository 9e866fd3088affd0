/**
 * Query strings the way BigCommerce reads them: list filters are one CSV parameter
 * (`id:in=1,2,3`), values are percent-encoded (`+` must become `%2B`, or BigCommerce reads a
 * space in `email:in=a+b@x.com`).
 *
 * BigCommerce splits a CSV parameter on commas *after* decoding, so `%2C` does not protect a
 * comma inside a value: `email:in=a%2Cb@x` would search for two emails. A SCIM filter value
 * must never become two BigCommerce values, so list values containing a comma are refused
 * before anything is sent. Likewise an empty list is refused: BigCommerce ignores an empty
 * filter, which would turn "match none of these" into "match everything".
 */
import { InvalidQueryError } from "./errors.js";

export type QueryScalar = string | number | boolean;
export type QueryValue = QueryScalar | readonly QueryScalar[] | undefined;
export type QueryInput = Readonly<Record<string, QueryValue>>;

/** Keys whose value BigCommerce treats as a list even when we send a single string. */
function isListKey(key: string): boolean {
  return /:(in|not_in|like)$/.test(key) || key === "include";
}

function encodeKey(key: string): string {
  // `:` is legal in a query string and keeps the URLs readable in logs (`id:in`, not `id%3Ain`).
  return encodeURIComponent(key).replace(/%3A/gi, ":");
}

function encodeScalar(key: string, value: QueryScalar, inList: boolean): string {
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new InvalidQueryError(`query parameter "${key}" has a non-finite number`);
    return String(value);
  }
  if (typeof value === "boolean") return String(value);
  if (inList && value.includes(",")) {
    throw new InvalidQueryError(
      `query parameter "${key}" has a value containing a comma, which BigCommerce would split into two values`,
    );
  }
  if (inList && value.length === 0) {
    throw new InvalidQueryError(`query parameter "${key}" has an empty value`);
  }
  return encodeURIComponent(value);
}

/** Returns `""` or `"?k=v&…"`. Throws InvalidQueryError for values that cannot be sent safely. */
export function buildQuery(params: QueryInput | undefined): string {
  if (!params) return "";
  const parts: string[] = [];
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined) continue;
    const list = isListKey(key);
    let encoded: string;
    if (Array.isArray(value)) {
      const items = value as readonly QueryScalar[];
      if (items.length === 0) {
        throw new InvalidQueryError(
          `query parameter "${key}" is an empty list; BigCommerce would ignore it and match everything`,
        );
      }
      encoded = items.map((item) => encodeScalar(key, item, true)).join(",");
    } else {
      encoded = encodeScalar(key, value as QueryScalar, list);
    }
    parts.push(`${encodeKey(key)}=${encoded}`);
  }
  return parts.length > 0 ? `?${parts.join("&")}` : "";
}
