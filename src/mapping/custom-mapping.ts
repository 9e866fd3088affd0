import type { CustomerFormField } from "../bigcommerce/api.js";
import { invalidValue } from "../scim-error.js";
import { STORABLE_ROWS, USER_ATTRIBUTES, type AttributeRow, type StorableAttribute } from "./attribute-table.js";
import { checkLength, LIMITS } from "./limits.js";
import { MappingFileError, type CustomerAttributeType, type MappingDocument } from "./mapping-file.js";
import { BIGCOMMERCE_CUSTOMER, CORE_USER, ENTERPRISE_USER } from "./urns.js";

/**
 * What the `attributes` entries of the merchant's mapping file (SCIM_MAPPING_FILE) mean: each maps
 * one SCIM attribute onto a BigCommerce customer attribute (by name) or a customer form field (by
 * name). The file adds to the built-in mapping (attribute-table.ts) and may take over the
 * attributes the built-in mapping could only keep in its own `scim_*` attributes (the storable
 * ones) or not at all (`name.middleName`, …); fields the bridge translates itself (userName,
 * emails, the names, …) stay the bridge's. Pure: start-up (scim/users/attribute-catalog-setup.ts)
 * finds or creates the attribute definitions; the writer and the representation use the entries.
 */

/** The catalog key of an entry's customer-attribute value (see bridge-attributes.ts). */
export type CustomKey = `custom:${string}`;

export interface CustomEntry {
  /** Position in the file, for messages. */
  readonly index: number;
  /** CORE_USER, ENTERPRISE_USER or an extension URN (spelled as in the file). */
  readonly schema: string;
  /** Attribute in its schema: "costCenter", or "parent.sub". */
  readonly path: string;
  /** The name an administrator knows: extension attributes carry their URN. */
  readonly scimName: string;
  readonly key: CustomKey;
  readonly target:
    | { readonly kind: "customerAttribute"; readonly name: string; readonly type: CustomerAttributeType; readonly typeRequested: boolean }
    | { readonly kind: "formField"; readonly name: string };
  /** The built-in storable attribute this entry takes over, if any. */
  readonly overrides?: StorableAttribute;
  /** Built-in row of the attribute, when the table has one (its description, casing). */
  readonly row?: AttributeRow;
}

export interface CustomMapping {
  readonly entries: readonly CustomEntry[];
  /** SCIM_STORED_ATTRIBUTES without the ones an entry takes over. */
  readonly storedAttributes: readonly StorableAttribute[];
  /** Extension schemas only the file defines (not core, enterprise or the bridge's own). */
  readonly extensionUrns: readonly string[];
}

const BRIDGE_URNS = [CORE_USER, ENTERPRISE_USER, BIGCOMMERCE_CUSTOMER];

function splitScim(scim: string): { urn: string | null; path: string } {
  if (!/^urn:/i.test(scim)) return { urn: null, path: scim };
  const at = scim.lastIndexOf(":");
  return { urn: scim.slice(0, at), path: scim.slice(at + 1) };
}

const rowFor = (schema: string, path: string): AttributeRow | undefined =>
  USER_ATTRIBUTES.find((r) => r.schema === schema && r.path.toLowerCase() === path.toLowerCase());

/** The built-in mapping plus the file's `attributes`; throws MappingFileError naming the entry. */
export function resolveMapping(doc: MappingDocument, storedAttributes: readonly StorableAttribute[]): CustomMapping {
  const entries: CustomEntry[] = [];
  const attributeNames = new Map<string, number>();
  const formFieldNames = new Map<string, number>();
  doc.attributes.forEach((raw, index) => {
    const fail = (message: string): never => {
      throw new MappingFileError(`attributes[${index}].scim: ${raw.scim} ${message}`);
    };
    const { urn, path: written } = splitScim(raw.scim);
    const known = urn === null ? CORE_USER : BRIDGE_URNS.find((u) => u.toLowerCase() === urn.toLowerCase());
    const schema = known ?? urn!;
    if (schema === BIGCOMMERCE_CUSTOMER) fail("is the bridge's own BigCommerce extension; its attributes are mapped already");
    const row = known ? rowFor(schema, written) : undefined;
    const path = row?.path ?? written;
    let overrides: StorableAttribute | undefined;
    if (row) {
      const storable = STORABLE_ROWS.find((s) => s.schema === row.schema && s.key === row.path);
      if (row.storage.kind === "storable" && storable && storable.type !== "complex") overrides = storable.key;
      else if (row.storage.kind !== "unsupported" || row.type === "complex" || row.multiValued) {
        fail("is mapped by the bridge itself (see docs/mapping.md); map another attribute");
      } else if (path.includes(".") && rowFor(schema, path.split(".")[0]!)?.multiValued) {
        fail("is a sub-attribute of a multi-valued attribute; only single values can be mapped");
      }
    } else if (schema === ENTERPRISE_USER) {
      fail("is not an attribute of the enterprise extension (RFC 7643 §4.3)");
    } else if (schema === CORE_USER && path.includes(".")) {
      fail("is not a sub-attribute of the core User schema; use an extension URN for a complex attribute of your own");
    } else if (schema === CORE_USER && rowFor(CORE_USER, path.split(".")[0]!)) {
      fail("is mapped by the bridge itself");
    }
    if (raw.customerAttribute !== undefined) {
      if (/^scim_/i.test(raw.customerAttribute)) {
        throw new MappingFileError(`attributes[${index}].customerAttribute: ${raw.customerAttribute} is a name the bridge keeps for itself (scim_…)`);
      }
      const first = attributeNames.get(raw.customerAttribute.toLowerCase());
      if (first !== undefined) {
        throw new MappingFileError(`attributes[${index}].customerAttribute: ${raw.customerAttribute} is mapped already (attributes[${first}])`);
      }
      attributeNames.set(raw.customerAttribute.toLowerCase(), index);
    } else {
      const first = formFieldNames.get(raw.formField!.toLowerCase());
      if (first !== undefined) throw new MappingFileError(`attributes[${index}].formField: ${raw.formField} is mapped already (attributes[${first}])`);
      formFieldNames.set(raw.formField!.toLowerCase(), index);
    }
    entries.push({
      index,
      schema,
      path,
      scimName: schema === CORE_USER ? path : `${schema}:${path}`,
      key: `custom:${schema}:${path}`,
      target:
        raw.customerAttribute !== undefined
          ? { kind: "customerAttribute", name: raw.customerAttribute, type: raw.type ?? "string", typeRequested: raw.type !== undefined }
          : { kind: "formField", name: raw.formField! },
      ...(overrides ? { overrides } : {}),
      ...(row ? { row } : {}),
    });
  });
  // An extension attribute is either a value or a complex attribute with sub-attributes.
  for (const e of entries) {
    if (e.path.includes(".")) continue;
    const clash = entries.find((o) => o.schema === e.schema && o.path.toLowerCase().startsWith(`${e.path.toLowerCase()}.`));
    if (clash) throw new MappingFileError(`attributes[${clash.index}].scim: ${clash.scimName} is a sub-attribute of ${e.scimName}, which attributes[${e.index}] maps as a value`);
  }
  const overridden = new Set(entries.map((e) => e.overrides));
  return {
    entries,
    storedAttributes: storedAttributes.filter((k) => !overridden.has(k)),
    extensionUrns: [...new Set(entries.map((e) => e.schema).filter((s) => !BRIDGE_URNS.includes(s)))],
  };
}

/** The built-in mapping alone (no file). */
export const NO_CUSTOM_MAPPING = (storedAttributes: readonly StorableAttribute[]): CustomMapping => ({
  entries: [],
  storedAttributes,
  extensionUrns: [],
});

/**
 * The mapping as the store has it: an attribute the merchant made keeps the merchant's type
 * (`types`: the type of each entry's definition, found or created at start-up).
 */
export function withStoreTypes(mapping: CustomMapping, types: ReadonlyMap<CustomKey, CustomerAttributeType>): CustomMapping {
  return {
    ...mapping,
    entries: mapping.entries.map((e) => {
      const type = types.get(e.key);
      return e.target.kind === "customerAttribute" && type !== undefined ? { ...e, target: { ...e.target, type } } : e;
    }),
  };
}

/** What a document asks of the mapped values: attribute values (null removes) and form fields ("" removes). */
export interface CustomChanges {
  attributes: Partial<Record<CustomKey, string | null>>;
  formFields: CustomerFormField[];
}

/** SCIM document -> the mapped values it changes. Throws a 400 for a value that does not convert. */
export function customChanges(doc: Record<string, unknown>, mapping: CustomMapping): CustomChanges {
  const out: CustomChanges = { attributes: {}, formFields: [] };
  for (const entry of mapping.entries) {
    const value = sentValue(doc, entry);
    if (value === undefined) continue;
    if (entry.target.kind === "customerAttribute") {
      out.attributes[entry.key] = value === null ? null : toAttributeValue(entry, entry.target.type, value);
    } else {
      out.formFields.push({ name: entry.target.name, value: value === null ? "" : toFormFieldValue(entry, value) });
    }
  }
  return out;
}

/** Customer -> the mapped values, placed in the representation; returns the schemas they use. */
export function placeCustomValues(
  user: Record<string, unknown>,
  mapping: CustomMapping,
  attributeValues: Partial<Record<CustomKey, string>>,
  formFields: readonly CustomerFormField[] | undefined,
): void {
  for (const entry of mapping.entries) {
    let value: unknown;
    if (entry.target.kind === "customerAttribute") {
      const stored = attributeValues[entry.key];
      if (stored) value = fromAttributeValue(entry.target.type, stored);
    } else {
      const name = entry.target.name;
      const field = formFields?.find((f) => f.name === name);
      if (field && field.value !== "" && !(Array.isArray(field.value) && field.value.length === 0)) value = field.value;
    }
    if (value !== undefined) placeValue(user, entry, value);
  }
}

/** Where an entry's value sits in a document: its holder object (null = the holder was removed). */
function holderOf(doc: Record<string, unknown>, entry: CustomEntry): Record<string, unknown> | null | undefined {
  let holder: unknown = entry.schema === CORE_USER ? doc : doc[entry.schema];
  const parts = entry.path.split(".");
  for (const part of parts.slice(0, -1)) {
    if (holder === null || holder === undefined) return holder;
    if (typeof holder !== "object" || Array.isArray(holder)) return undefined;
    holder = (holder as Record<string, unknown>)[part];
  }
  if (holder === null) return null;
  if (typeof holder !== "object" || Array.isArray(holder)) return undefined;
  return holder as Record<string, unknown>;
}

/** The value a document gives an entry: undefined = absent (unchanged), null = removed. */
export function sentValue(doc: Record<string, unknown>, entry: CustomEntry): unknown {
  const holder = holderOf(doc, entry);
  if (holder === null) return null;
  if (holder === undefined) return undefined;
  const leaf = entry.path.split(".").pop()!;
  const value = holder[leaf];
  return value === "" ? null : value;
}

/** A YYYY-MM-DD that names a real day (Date.parse accepts 2024-02-30 as 1 March). */
function isCalendarDate(ymd: string): boolean {
  const t = Date.parse(`${ymd}T00:00:00Z`);
  return !Number.isNaN(t) && new Date(t).toISOString().slice(0, 10) === ymd;
}

const DATE = /^(\d{4}-\d{2}-\d{2})(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;

/**
 * SCIM value -> the customer-attribute value of the attribute's type (BigCommerce keeps every
 * value as a string of at most 255 characters). What does not convert is a 400 naming the
 * attribute; nothing is ever cut.
 */
export function toAttributeValue(entry: CustomEntry, type: CustomerAttributeType, value: unknown): string {
  const name = entry.scimName;
  if (type === "number") {
    const n = typeof value === "number" ? value : typeof value === "string" && value.trim() !== "" ? Number(value.trim()) : Number.NaN;
    if (!Number.isFinite(n)) throw invalidValue(`'${name}' must be a number (its BigCommerce customer attribute is of type number)`);
    return String(n);
  }
  if (type === "date") {
    const m = typeof value === "string" ? DATE.exec(value.trim()) : null;
    if (!m || !isCalendarDate(m[1]!)) {
      throw invalidValue(`'${name}' must be a date (YYYY-MM-DD or an RFC 3339 dateTime; its BigCommerce customer attribute is of type date)`);
    }
    return m[1]!;
  }
  if (typeof value !== "string" && typeof value !== "number" && typeof value !== "boolean") {
    throw invalidValue(`'${name}' must be a string`);
  }
  const text = String(value);
  checkLength(name, text, LIMITS.attributeValue);
  return text;
}

/** Customer-attribute value -> the SCIM value shown (numbers as numbers, dates as dateTime). */
export function fromAttributeValue(type: CustomerAttributeType, stored: string): unknown {
  if (type === "number") {
    const n = Number(stored);
    return stored.trim() !== "" && Number.isFinite(n) ? n : stored;
  }
  if (type === "date") {
    const t = Date.parse(stored);
    return Number.isNaN(t) ? stored : `${new Date(t).toISOString().slice(0, 10)}T00:00:00Z`;
  }
  return stored;
}

/** SCIM value -> a form field value (BigCommerce takes a string, a number or a list of strings). */
export function toFormFieldValue(entry: CustomEntry, value: unknown): CustomerFormField["value"] {
  if (typeof value === "number" && Number.isFinite(value)) return value;
  if (typeof value === "string") {
    checkLength(entry.scimName, value, LIMITS.attributeValue);
    return value;
  }
  if (typeof value === "boolean") return String(value);
  if (Array.isArray(value) && value.every((v) => typeof v === "string")) return value as string[];
  throw invalidValue(`'${entry.scimName}' must be a string, a number or a list of strings (it is kept in a customer form field)`);
}

/** Puts a value at an entry's place in a representation (creating the extension object). */
export function placeValue(user: Record<string, unknown>, entry: CustomEntry, value: unknown): void {
  let holder = user;
  if (entry.schema !== CORE_USER) holder = (user[entry.schema] ??= {}) as Record<string, unknown>;
  const parts = entry.path.split(".");
  for (const part of parts.slice(0, -1)) holder = (holder[part] ??= {}) as Record<string, unknown>;
  holder[parts[parts.length - 1]!] = value;
}

/** PUT replaces: an entry the body leaves out is removed (RFC 7644 §3.5.1), as storable attributes are. */
export function withCustomCleared(doc: Record<string, unknown>, mapping: CustomMapping): Record<string, unknown> {
  const out = structuredClone(doc);
  for (const entry of mapping.entries) {
    if (sentValue(out, entry) === undefined && holderOf(out, entry) !== null) placeValue(out, entry, null);
  }
  return out;
}
