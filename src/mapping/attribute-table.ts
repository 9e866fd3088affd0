import type { Customer, CustomerCreate, CustomerUpdate } from "../bigcommerce/api.js";
import { BIGCOMMERCE_CUSTOMER, CORE_USER, ENTERPRISE_USER } from "./urns.js";

/**
 * The one table of the SCIM User attributes the bridge knows. Everything else that needs to know
 * about an attribute is derived from it: the storable lists and their schema placement
 * (config.ts), the bridge's customer-attribute names (bridge-attributes.ts), the zod document
 * schema (user-document.ts), canonical key casing (scim/normalise/canonical-keys.ts), PATCH
 * traits (multi-valued, read-only, boolean), BigCommerce field names and length limits
 * (limits.ts, and the field-to-attribute map for error messages in scim/errors.ts), and what
 * discovery (/Schemas) advertises, and for a mapped field that is a plain copy, its translation
 * in both directions and its create body (copied-fields.ts). Adding a stored attribute or a plain
 * mapped string field is one row here (see CONTRIBUTING.md, "Adding a stored attribute or a
 * mapped field").
 */

type StringKeys<T> = { [K in keyof T]-?: NonNullable<T[K]> extends string ? K : never }[keyof T];
/** Customer fields holding a string that a request can read, create and update. */
export type CustomerStringField = StringKeys<Customer> & StringKeys<CustomerCreate> & StringKeys<CustomerUpdate>;

/** Where a value lives in BigCommerce, if anywhere. */
export type Storage =
  /**
   * A field of the BigCommerce customer (`field`), with BigCommerce's documented limit, whose
   * translation is the field's own business logic (user-to-customer.ts, customer-to-user.ts,
   * UserWriter.create).
   */
  | {
      readonly kind: "field";
      readonly translation: "custom";
      readonly field: string;
      readonly maxLength?: number;
      readonly fieldAliases?: readonly string[];
    }
  /**
   * A customer string field that holds the SCIM string as it is: translated by copied-fields.ts
   * from this row alone (rows come from COPIED_FIELD_ROWS).
   */
  | { readonly kind: "field"; readonly translation: "copy"; readonly field: CustomerStringField; readonly maxLength?: number }
  /** Always kept in a store-wide customer attribute named `name` (externalId). */
  | { readonly kind: "bridge"; readonly name: string }
  /**
   * Kept in a customer attribute only when the operator lists it in SCIM_STORED_ATTRIBUTES
   * (each one uses one of the store's limited attribute definitions).
   */
  | { readonly kind: "storable"; readonly name: string }
  /** Computed from other values, or handled by dedicated code (emails, groups, active). */
  | { readonly kind: "computed" }
  /**
   * BigCommerce customer addresses, when the mapping file lists address types
   * (customer-addresses.ts); advertised by /Schemas only then (discovery.ts).
   */
  | { readonly kind: "addresses" }
  /** Accepted (for casing) and ignored: not advertised by /Schemas, never stored. */
  | { readonly kind: "unsupported" };

export type Mutability = "readWrite" | "readOnly" | "writeOnly" | "derived";

export interface AttributeRow {
  /** Schema the attribute belongs to. */
  readonly schema: typeof CORE_USER | typeof ENTERPRISE_USER | typeof BIGCOMMERCE_CUSTOMER;
  /** Canonical spelling; a sub-attribute is "parent.sub". */
  readonly path: string;
  readonly type: "string" | "boolean" | "integer" | "complex" | "reference" | "dateTime";
  readonly multiValued?: boolean;
  /**
   * "derived": clients may send it (ignored, RFC 7643 §7) but cannot set it; advertised as
   * mutable false. "readOnly": PATCH silently ignores it.
   */
  readonly mutability?: Mutability;
  /** Sub-attributes only accepted for their casing (none of them stored). */
  readonly caseOnly?: readonly string[];
  readonly storage: Storage;
  /** What /Schemas says about it (replaces scimmy's generic text). */
  readonly description?: string;
}

const MULTI_VALUE_SUBS = ["value", "type", "primary", "display", "$ref"] as const;

const core = (path: string, rest: Omit<AttributeRow, "schema" | "path">): AttributeRow => ({ schema: CORE_USER, path, ...rest });
const ent = (path: string, rest: Omit<AttributeRow, "schema" | "path">): AttributeRow => ({ schema: ENTERPRISE_USER, path, ...rest });
const bc = (path: string, rest: Omit<AttributeRow, "schema" | "path">): AttributeRow => ({ schema: BIGCOMMERCE_CUSTOMER, path, ...rest });
const unsupportedMulti = (path: string) => core(path, { type: "complex", multiValued: true, caseOnly: MULTI_VALUE_SUBS, storage: { kind: "unsupported" } });

/**
 * Attributes with no BigCommerce field that the bridge can keep as customer attributes (one
 * store-wide attribute definition each, named `attribute`), in the order SCIM_STORED_ATTRIBUTES
 * lists them. `manager` is complex: only its value is kept.
 */
export const STORABLE_ROWS = [
  { key: "title", schema: CORE_USER, type: "string", attribute: "scim_title" },
  { key: "nickName", schema: CORE_USER, type: "string", attribute: "scim_nick_name" },
  { key: "profileUrl", schema: CORE_USER, type: "reference", attribute: "scim_profile_url" },
  { key: "userType", schema: CORE_USER, type: "string", attribute: "scim_user_type" },
  { key: "preferredLanguage", schema: CORE_USER, type: "string", attribute: "scim_preferred_language" },
  { key: "locale", schema: CORE_USER, type: "string", attribute: "scim_locale" },
  { key: "timezone", schema: CORE_USER, type: "string", attribute: "scim_timezone" },
  { key: "department", schema: ENTERPRISE_USER, type: "string", attribute: "scim_department" },
  { key: "employeeNumber", schema: ENTERPRISE_USER, type: "string", attribute: "scim_employee_number" },
  { key: "costCenter", schema: ENTERPRISE_USER, type: "string", attribute: "scim_cost_center" },
  { key: "division", schema: ENTERPRISE_USER, type: "string", attribute: "scim_division" },
  { key: "manager", schema: ENTERPRISE_USER, type: "complex", attribute: "scim_manager", caseOnly: ["displayName", "managerId"] },
] as const;

const storableRow = (r: (typeof STORABLE_ROWS)[number]): AttributeRow => ({
  schema: r.schema,
  path: r.key,
  type: r.type,
  ...("caseOnly" in r ? { caseOnly: r.caseOnly } : {}),
  storage: { kind: "storable", name: r.attribute },
});

export type StorableAttribute = (typeof STORABLE_ROWS)[number]["key"];
type StorableIn<S extends string> = Extract<(typeof STORABLE_ROWS)[number], { schema: S }>["key"];
export type CoreStorable = StorableIn<typeof CORE_USER>;
/** The enterprise storable attributes whose value is a plain string (manager is complex). */
export type EnterpriseStringStorable = Exclude<StorableIn<typeof ENTERPRISE_USER>, "manager">;

/** Stored only when SCIM_STORED_ATTRIBUTES lists them (config.ts); the default list. */
export const DEFAULT_STORED_ATTRIBUTES: readonly StorableAttribute[] = ["title", "department", "employeeNumber", "manager"];

interface CopiedFieldSpec {
  readonly key: string;
  readonly schema: AttributeRow["schema"];
  readonly field: CustomerStringField;
  /** BigCommerce's documented limit (customers.v3.yml), when it documents one. */
  readonly maxLength?: number;
  readonly description?: string;
}

/**
 * Mapped fields whose translation is a plain copy: a top-level SCIM string attribute holds the
 * customer string field as it is, and removing it (null, or its whole extension removed) writes
 * BigCommerce's unassigned value, "". Everything else about them is derived (copied-fields.ts):
 * the change a request asks, the representation, the create body, PUT clearing (core and
 * enterprise only: the BigCommerce extension is store settings an IdP does not own).
 */
export const COPIED_FIELD_ROWS = [
  {
    key: "organization",
    schema: ENTERPRISE_USER,
    field: "company",
    maxLength: 255,
    description: "The customer's company (at most 255 characters).",
  },
  { key: "notes", schema: BIGCOMMERCE_CUSTOMER, field: "notes", description: "Merchant notes on the customer." },
  {
    key: "taxExemptCategory",
    schema: BIGCOMMERCE_CUSTOMER,
    field: "tax_exempt_category",
    maxLength: 255,
    description: "Tax exempt category code (at most 255 characters).",
  },
] as const satisfies readonly CopiedFieldSpec[];

type CopiedIn<S extends string> = Extract<(typeof COPIED_FIELD_ROWS)[number], { schema: S }>["key"];
/** The copied attributes of one schema, typed for the zod document schema. */
export const copiedKeysIn = <S extends AttributeRow["schema"]>(schema: S): readonly CopiedIn<S>[] =>
  COPIED_FIELD_ROWS.filter((r) => r.schema === schema).map((r) => r.key as CopiedIn<S>);

const copiedRowsIn = (schema: AttributeRow["schema"]): AttributeRow[] =>
  COPIED_FIELD_ROWS.filter((r: CopiedFieldSpec) => r.schema === schema).map((r: CopiedFieldSpec) => ({
    schema: r.schema,
    path: r.key,
    type: "string",
    storage: { kind: "field", translation: "copy", field: r.field, ...(r.maxLength !== undefined ? { maxLength: r.maxLength } : {}) },
    ...(r.description !== undefined ? { description: r.description } : {}),
  }));

const ROWS: readonly AttributeRow[] = [
  core("schemas", { type: "string", multiValued: true, mutability: "readOnly", storage: { kind: "computed" } }),
  core("id", { type: "string", mutability: "readOnly", storage: { kind: "computed" } }),
  core("meta", { type: "complex", mutability: "readOnly", storage: { kind: "computed" } }),
  core("externalId", { type: "string", storage: { kind: "bridge", name: "scim_external_id" } }),
  core("userName", {
    type: "string",
    storage: { kind: "field", translation: "custom", field: "email" },
    description: "The customer's email address: unique per store, matched case-insensitively, at most 250 characters (255 when changed later).",
  }),
  core("name", { type: "complex", storage: { kind: "computed" } }),
  core("name.formatted", { type: "string", mutability: "derived", storage: { kind: "computed" }, description: "Derived: \"givenName familyName\"." }),
  core("name.familyName", { type: "string", storage: { kind: "field", translation: "custom", field: "last_name", maxLength: 100 } }),
  core("name.givenName", { type: "string", storage: { kind: "field", translation: "custom", field: "first_name", maxLength: 100 } }),
  core("name.middleName", { type: "string", storage: { kind: "unsupported" } }),
  core("name.honorificPrefix", { type: "string", storage: { kind: "unsupported" } }),
  core("name.honorificSuffix", { type: "string", storage: { kind: "unsupported" } }),
  core("displayName", {
    type: "string",
    mutability: "derived",
    storage: { kind: "computed" },
    description: "Derived from name: \"givenName familyName\". Values sent are not stored.",
  }),
  ...STORABLE_ROWS.filter((r) => r.schema === CORE_USER).map(storableRow),
  ...copiedRowsIn(CORE_USER),
  core("active", { type: "boolean", storage: { kind: "computed" }, description: "false keeps the customer and its orders but blocks storefront sign-in." }),
  core("password", {
    type: "string",
    mutability: "writeOnly",
    storage: { kind: "field", translation: "custom", field: "password", maxLength: 100, fieldAliases: ["new_password", "authentication.new_password"] },
    description: "Write-only: sets the customer's storefront password. Never returned.",
  }),
  core("emails", { type: "complex", multiValued: true, caseOnly: ["$ref"], storage: { kind: "computed" }, description: "The customer's single email; the same value as userName." }),
  core("emails.value", { type: "string", storage: { kind: "computed" } }),
  core("emails.type", { type: "string", mutability: "derived", storage: { kind: "computed" }, description: "Always \"work\": the customer has one email." }),
  core("emails.primary", { type: "boolean", mutability: "derived", storage: { kind: "computed" }, description: "Always true: the customer has one email." }),
  // Never stored: the one email and the one phone number have no display text.
  core("emails.display", { type: "string", storage: { kind: "unsupported" } }),
  core("phoneNumbers", {
    type: "complex",
    multiValued: true,
    caseOnly: ["$ref"],
    storage: { kind: "field", translation: "custom", field: "phone", maxLength: 50 },
    description: "One number is stored (the BigCommerce customer phone): the primary, else the work, else the first one sent.",
  }),
  core("phoneNumbers.value", { type: "string", storage: { kind: "computed" } }),
  core("phoneNumbers.type", { type: "string", storage: { kind: "bridge", name: "scim_phone_type" }, description: "The type of the stored number (work when none was sent)." }),
  core("phoneNumbers.primary", { type: "boolean", mutability: "derived", storage: { kind: "computed" }, description: "Always true: one number is stored." }),
  core("phoneNumbers.display", { type: "string", storage: { kind: "unsupported" } }),
  unsupportedMulti("ims"),
  unsupportedMulti("photos"),
  core("addresses", { type: "complex", multiValued: true, storage: { kind: "addresses" } }),
  ...(["streetAddress", "locality", "region", "postalCode", "country", "type"] as const).map((sub) =>
    core(`addresses.${sub}`, { type: "string", storage: { kind: "addresses" } }),
  ),
  core("addresses.formatted", { type: "string", mutability: "derived", storage: { kind: "addresses" } }),
  core("addresses.primary", { type: "boolean", mutability: "derived", storage: { kind: "addresses" } }),
  core("groups", {
    type: "complex",
    multiValued: true,
    mutability: "readOnly",
    caseOnly: MULTI_VALUE_SUBS,
    storage: { kind: "computed" },
    description: "The groups the user is a member of: its customer group first, then its other SCIM group memberships (group precedence). Read-only: manage it through /Groups.",
  }),
  unsupportedMulti("entitlements"),
  unsupportedMulti("roles"),
  unsupportedMulti("x509Certificates"),

  ...copiedRowsIn(ENTERPRISE_USER),
  ...STORABLE_ROWS.filter((r) => r.schema === ENTERPRISE_USER).map(storableRow),
  ent("manager.value", { type: "string", storage: { kind: "computed" } }),
  ent("manager.$ref", { type: "reference", mutability: "derived", storage: { kind: "computed" }, description: "Derived from manager.value: the manager's /Users URL." }),

  bc("customerGroupId", {
    type: "integer",
    storage: { kind: "field", translation: "custom", field: "customer_group_id" },
    description:
      "BigCommerce customer group (0 = none). A customer is in one customer group: writing it moves the user to that group, but for a user in several SCIM groups it is the one group precedence picks, and writing another is refused (change its memberships through /Groups).",
  }),
  bc("channelIds", {
    type: "integer",
    multiValued: true,
    storage: { kind: "field", translation: "custom", field: "channel_ids" },
    description:
      "Storefront channels the customer may sign in to; null or absent means every channel that allows global logins. Never empty. For an inactive user with a lockout channel configured: the channels reactivation restores (until then it can sign in nowhere).",
  }),
  bc("originChannelId", {
    type: "integer",
    mutability: "derived",
    storage: { kind: "field", translation: "custom", field: "origin_channel_id" },
    description: "Channel where the customer was created (read-only).",
  }),
  ...copiedRowsIn(BIGCOMMERCE_CUSTOMER),
  bc("acceptsProductReviewAbandonedCartEmails", {
    type: "boolean",
    storage: { kind: "field", translation: "custom", field: "accepts_product_review_abandoned_cart_emails" },
    description: "Whether the customer receives product review and abandoned cart emails.",
  }),
];

export const USER_ATTRIBUTES: readonly AttributeRow[] = ROWS;

/** The row of an attribute (path as in the table), for consumers that need one fact of it. */
export function rowOf(schema: AttributeRow["schema"], path: string): AttributeRow {
  const row = ROWS.find((r) => r.schema === schema && r.path === path);
  if (!row) throw new Error(`no attribute row for ${schema}:${path}`);
  return row;
}

/** BigCommerce's documented length limit of the field an attribute is stored in. */
export function maxLengthOf(schema: AttributeRow["schema"], path: string): number {
  const row = rowOf(schema, path);
  if (row.storage.kind !== "field" || row.storage.maxLength === undefined) throw new Error(`${path} has no field length limit`);
  return row.storage.maxLength;
}

/** Names accepted in SCIM_STORED_ATTRIBUTES. */
export const STORABLE_ATTRIBUTES: readonly StorableAttribute[] = STORABLE_ROWS.map((r) => r.key);
/** Where each storable attribute lives in SCIM: the core User schema, or the enterprise extension. */
export const CORE_STORABLE: readonly CoreStorable[] = STORABLE_ROWS.filter((r) => r.schema === CORE_USER).map((r) => r.key as CoreStorable);
export const ENTERPRISE_STORABLE: readonly EnterpriseStringStorable[] = STORABLE_ROWS.filter(
  (r) => r.schema === ENTERPRISE_USER && r.type === "string",
).map((r) => r.key as EnterpriseStringStorable);
/** Customer-attribute name of each storable attribute. */
export const STORABLE_ATTRIBUTE_NAMES = Object.fromEntries(STORABLE_ROWS.map((r) => [r.key, r.attribute])) as Record<StorableAttribute, string>;
export const isCoreStorable = (key: StorableAttribute): key is CoreStorable => (CORE_STORABLE as readonly string[]).includes(key);
export const isEnterpriseStringStorable = (key: StorableAttribute): key is EnterpriseStringStorable =>
  (ENTERPRISE_STORABLE as readonly string[]).includes(key);

const topLevelCore = (predicate: (row: AttributeRow) => boolean) =>
  ROWS.filter((r) => r.schema === CORE_USER && !r.path.includes(".") && predicate(r)).map((r) => r.path);

/** Canonical names of the multi-valued complex attributes of the core User schema. */
export const USER_MULTI_VALUED: readonly string[] = topLevelCore((r) => r.multiValued === true && r.type === "complex");
/** Attributes clients may send back but never change (PATCH ignores them). */
export const USER_READ_ONLY: readonly string[] = topLevelCore((r) => r.mutability === "readOnly");
/** Lower-case names of boolean (sub-)attributes, whose string forms ("True") are coerced. */
export const USER_BOOLEANS: readonly string[] = [
  ...new Set(ROWS.filter((r) => r.type === "boolean").map((r) => r.path.split(".").pop()!.toLowerCase())),
];

/** The SCIM name an administrator would recognise: extension attributes carry their URN. */
export const scimNameOf = (row: AttributeRow): string => (row.schema === CORE_USER ? row.path : `${row.schema}:${row.path}`);

/** BigCommerce customer field (and its aliases in BigCommerce's error bodies) -> SCIM attribute. */
export const ATTRIBUTE_OF_CUSTOMER_FIELD: Readonly<Record<string, string>> = Object.fromEntries(
  ROWS.flatMap((r) => {
    if (r.storage.kind !== "field") return [];
    const aliases = r.storage.translation === "custom" ? (r.storage.fieldAliases ?? []) : [];
    return [r.storage.field, ...aliases].map((f) => [f, scimNameOf(r)]);
  }),
);

/** Customer-attribute name of an attribute the bridge always keeps (externalId, the phone's type). */
export function bridgeNameOf(schema: AttributeRow["schema"], path: string): string {
  const row = rowOf(schema, path);
  if (row.storage.kind !== "bridge") throw new Error(`${path} is not kept in a customer attribute`);
  return row.storage.name;
}
