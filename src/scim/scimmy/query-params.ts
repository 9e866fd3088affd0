import { invalidValue } from "../errors.js";
import { parseFilter, type FilterAst } from "../filter/parse.js";

export interface ListParams {
  filter: FilterAst | null;
  startIndex: number;
  count: number;
  sortBy: string | null;
  sortOrder: "ascending" | "descending";
  attributes: string | undefined;
  excludedAttributes: string | undefined;
}

function integer(name: string, value: unknown): number | undefined {
  if (value === undefined || value === null || value === "") return undefined;
  const n = typeof value === "number" ? value : Number(String(value).trim());
  if (!Number.isInteger(n)) throw invalidValue(`'${name}' must be an integer`);
  return n;
}

const text = (value: unknown) => (typeof value === "string" && value.trim() !== "" ? value.trim() : undefined);

const lookup = (raw: Record<string, unknown>, name: string) =>
  raw[Object.keys(raw).find((k) => k.toLowerCase() === name.toLowerCase()) ?? name];
const attributeList = (v: unknown) => (Array.isArray(v) ? v.join(",") : text(v));

/** `attributes` / `excludedAttributes` (query strings, or arrays in a /.search body). */
export function projectionParams(raw: Record<string, unknown>): { attributes: string | undefined; excludedAttributes: string | undefined } {
  return { attributes: attributeList(lookup(raw, "attributes")), excludedAttributes: attributeList(lookup(raw, "excludedAttributes")) };
}

/**
 * List parameters (RFC 7644 §3.4.2) from the query string or a /.search body. startIndex < 1
 * counts as 1 and a negative count as 0, as the RFC says; count is capped at the advertised
 * maximum.
 */
export function listParams(
  raw: Record<string, unknown>,
  pageSize: { default: number; max: number },
  parse: (filter: string) => FilterAst = parseFilter,
): ListParams {
  const get = (name: string) => lookup(raw, name);
  const filterText = get("filter");
  if (filterText !== undefined && typeof filterText !== "string") throw invalidValue("'filter' must be given once, as a string");
  const order = text(get("sortOrder"))?.toLowerCase();
  if (order !== undefined && order !== "ascending" && order !== "descending") {
    throw invalidValue("'sortOrder' must be 'ascending' or 'descending'");
  }
  return {
    filter: filterText && filterText.trim() !== "" ? parse(filterText) : null,
    startIndex: Math.max(1, integer("startIndex", get("startIndex")) ?? 1),
    count: Math.min(pageSize.max, Math.max(0, integer("count", get("count")) ?? pageSize.default)),
    sortBy: text(get("sortBy")) ?? null,
    sortOrder: order === "descending" ? "descending" : "ascending",
    ...projectionParams(raw),
  };
}
