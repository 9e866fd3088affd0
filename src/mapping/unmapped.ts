import { USER_ATTRIBUTES, type AttributeRow, type StorableAttribute } from "./attribute-table.js";
import type { CustomMapping } from "./custom-mapping.js";
import { BIGCOMMERCE_CUSTOMER, CORE_USER, ENTERPRISE_USER } from "./urns.js";

/**
 * The attributes of a canonical User document (after src/scim/normalise) that nothing maps: no
 * BigCommerce field, no customer attribute, no form field keeps them, and RFC 7643 does not make
 * them the server's (ids, meta, derived values). They are not an error (IdPs send many), but an
 * administrator must be able to see them (scim/users: one warning per name, a counter).
 */

/** Attributes the server owns or derives: clients may send them back, nothing is lost. */
const SERVER_OWNED = new Set(["schemas", "id", "meta", "displayName", "groups", "name.formatted"]);

/** Names as an administrator reads them; a name that is not one is reported as such, never echoed. */
const SANE = /^(?:urn:[A-Za-z0-9:._-]{1,200}:)?[A-Za-z$][\w$-]{0,63}(?:\.[A-Za-z$][\w$-]{0,63})?$/;

function rowKept(row: AttributeRow, stored: readonly StorableAttribute[]): boolean {
  if (row.storage.kind === "unsupported") return false;
  if (row.storage.kind === "storable") return (stored as readonly string[]).includes(row.path);
  return true;
}

const hasValue = (v: unknown): boolean =>
  v !== undefined && v !== null && v !== "" && !(Array.isArray(v) && v.length === 0) &&
  !(typeof v === "object" && !Array.isArray(v) && Object.values(v as object).every((x) => !hasValue(x)));

export function unmappedAttributes(doc: Record<string, unknown>, stored: readonly StorableAttribute[], mapping?: CustomMapping): string[] {
  const kept = new Set<string>();
  const known = new Set<string>();
  const nameOf = (schema: string, path: string) => (schema === CORE_USER ? path : `${schema}:${path}`).toLowerCase();
  for (const row of USER_ATTRIBUTES) {
    known.add(nameOf(row.schema, row.path));
    if (rowKept(row, stored)) kept.add(nameOf(row.schema, row.path));
  }
  /** Complex attributes the file maps part by part: their other parts are unmapped. */
  const mappedParents = new Set<string>();
  for (const entry of mapping?.entries ?? []) {
    kept.add(nameOf(entry.schema, entry.path));
    if (entry.path.includes(".")) {
      kept.add(nameOf(entry.schema, entry.path.split(".")[0]!));
      mappedParents.add(nameOf(entry.schema, entry.path.split(".")[0]!));
    }
  }
  const schemas = new Set([ENTERPRISE_USER, BIGCOMMERCE_CUSTOMER, ...(mapping?.extensionUrns ?? [])].map((u) => u.toLowerCase()));
  const out: string[] = [];
  const report = (name: string) => out.push(SANE.test(name) ? name : "(not an attribute name)");

  /** One attribute (and, for a complex one whose parts are mapped one by one, its sub-attributes). */
  const visit = (schema: string, key: string, value: unknown) => {
    const name = nameOf(schema, key);
    if (!hasValue(value) || (schema === CORE_USER && SERVER_OWNED.has(key))) return;
    if (!kept.has(name)) {
      report(schema === CORE_USER ? key : `${schema}:${key}`);
      return;
    }
    // A complex attribute kept as a whole (name, manager, emails) or through mapped parts.
    if (typeof value !== "object" || value === null || Array.isArray(value)) return;
    for (const [sub, subValue] of Object.entries(value)) {
      const subName = `${name}.${sub.toLowerCase()}`;
      const listed = known.has(subName) || mappedParents.has(name);
      if (!listed || kept.has(subName) || !hasValue(subValue) || (schema === CORE_USER && SERVER_OWNED.has(`${key}.${sub}`))) continue;
      report(schema === CORE_USER ? `${key}.${sub}` : `${schema}:${key}.${sub}`);
    }
  };

  for (const [key, value] of Object.entries(doc)) {
    if (/^urn:/i.test(key)) {
      const urn = key.toLowerCase();
      if (!hasValue(value)) continue;
      const ours = schemas.has(urn) || urn === CORE_USER.toLowerCase();
      if (typeof value !== "object" || Array.isArray(value) || value === null) {
        if (!ours) report(key);
        continue;
      }
      const schema = urn === ENTERPRISE_USER.toLowerCase() ? ENTERPRISE_USER : urn === BIGCOMMERCE_CUSTOMER.toLowerCase() ? BIGCOMMERCE_CUSTOMER : (mapping?.extensionUrns.find((u) => u.toLowerCase() === urn) ?? key);
      for (const [attr, v] of Object.entries(value as Record<string, unknown>)) visit(schema, attr, v);
      continue;
    }
    visit(CORE_USER, key, value);
  }
  return out;
}
