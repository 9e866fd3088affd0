/**
 * zod schemas for every response body the client reads. The rule: strict on what the bridge
 * relies on (ids, email, names, timestamps, pagination numbers), lenient on the rest, because
 * BigCommerce's responses drift between endpoints, plans and years (fields absent, `null`
 * instead of `""`, extra fields). Unknown fields pass through untouched (`looseObject`).
 */
import { z } from "zod";
import type {
  AttributeDefinition,
  Customer,
  CustomerAddress,
  CustomerAttributeValue,
  CustomerGroup,
  Metafield,
  Pagination,
} from "./api.js";

/** A string BigCommerce sometimes omits or sends as null; the bridge wants "" then. */
const lenientString = z
  .string()
  .nullish()
  .transform((v) => v ?? "");
const optionalString = z
  .string()
  .nullish()
  .transform((v) => v ?? undefined);
const id = z.number().int().positive();

export const attributeValueSchema = z.looseObject({
  id: id,
  attribute_id: id,
  // Documented as always a string; tolerate a number rather than fail a whole customer page.
  attribute_value: z.union([z.string(), z.number()]).transform(String),
  customer_id: id,
  date_created: optionalString,
  date_modified: optionalString,
});

/** An attribute value as found inside a customer (include=attributes), read leniently. */
const lenientAttributeValueSchema = z.looseObject({
  id: id.catch(0),
  attribute_id: id,
  attribute_value: z
    .union([z.string(), z.number(), z.boolean(), z.null()])
    .transform((v) => (v === null ? "" : String(v))),
  customer_id: id.catch(0),
  date_created: optionalString.catch(undefined),
  date_modified: optionalString.catch(undefined),
});

export const addressSchema = z.looseObject({
  id: id,
  customer_id: id,
  first_name: lenientString,
  last_name: lenientString,
  company: lenientString,
  address1: lenientString,
  address2: lenientString,
  city: lenientString,
  state_or_province: lenientString,
  postal_code: lenientString,
  country_code: lenientString,
  phone: lenientString,
  address_type: lenientString,
});

export const customerSchema = z.looseObject({
  id: id,
  email: z.string(),
  first_name: z.string(),
  last_name: z.string(),
  company: lenientString,
  phone: lenientString,
  notes: lenientString,
  tax_exempt_category: lenientString,
  customer_group_id: z
    .number()
    .int()
    .nullish()
    .transform((v) => v ?? 0),
  registration_ip_address: lenientString,
  date_created: z.string(),
  date_modified: z.string(),
  // From here on: fields the bridge does not decide anything on. One odd record (a captured
  // real response has `"channel_ids": "nil"`) must not fail a whole page, so an unexpected
  // shape falls back to a safe default instead of failing validation.
  authentication: z.looseObject({ force_password_reset: z.boolean() }).optional().catch(undefined),
  accepts_product_review_abandoned_cart_emails: z.boolean().optional().catch(undefined),
  origin_channel_id: z.number().int().optional().catch(undefined),
  // null = global access (see notes §4.3); absent, or a shape we do not know, the same way.
  channel_ids: z
    .array(z.number().int())
    .nullish()
    .transform((v) => v ?? null)
    .catch(null),
  // Attribute values carry the bridge's own state (the active flag, the externalId), so a value
  // is read field by field: only `attribute_id` must be sound (without it the value cannot be
  // attributed); an odd date or id is forgotten and a null value reads as "". Dropping a whole
  // value would silently turn a deactivated user back into an active one.
  attributes: z
    .array(z.unknown())
    .transform((items) =>
      items.flatMap((item) => {
        const parsed = lenientAttributeValueSchema.safeParse(item);
        return parsed.success ? [parsed.data] : [];
      }),
    )
    .optional()
    .catch(undefined),
  store_credit_amounts: z.array(z.looseObject({ amount: z.number() })).optional().catch(undefined),
  // The bridge's own addresses are found by id among these; an address that does not parse is
  // left out, and the bridge then treats its own as gone only if its id is missing: it never
  // takes a shopper's address for its own (src/mapping/customer-addresses.ts).
  addresses: z
    .array(z.unknown())
    .transform((items) =>
      items.flatMap((item) => {
        const parsed = addressSchema.safeParse(item);
        return parsed.success ? [parsed.data] : [];
      }),
    )
    .optional()
    .catch(undefined),
  form_fields: z
    .array(z.looseObject({ name: z.string(), value: z.union([z.string(), z.number(), z.array(z.string())]) }))
    .optional(),
});

export const paginationSchema = z.looseObject({
  total: z.number().int().nonnegative(),
  count: z.number().int().nonnegative(),
  per_page: z.number().int().nonnegative(),
  current_page: z.number().int().nonnegative(),
  total_pages: z.number().int().nonnegative(),
  links: z.record(z.string(), z.unknown()).optional(),
});

/** `{data: [...], meta: {pagination}}`: every V3 list the client reads. */
export function pageSchema<T extends z.ZodType>(item: T) {
  return z.looseObject({
    data: z.array(item),
    meta: z.looseObject({ pagination: paginationSchema }),
  });
}

/** `{data: [...], meta: {}}`: V3 batch write responses (no pagination). */
export function writeResponseSchema<T extends z.ZodType>(item: T) {
  return z.looseObject({
    data: z.array(item),
    meta: z.looseObject({}).optional(),
  });
}

export const attributeDefinitionSchema = z.looseObject({
  id: id,
  name: z.string(),
  type: z.enum(["string", "number", "date"]),
  date_created: optionalString,
  date_modified: optionalString,
});

export const metafieldSchema = z.looseObject({
  id: id,
  namespace: z.string(),
  key: z.string(),
  value: z.string(),
  permission_set: z.string(),
  resource_type: z.string(),
  resource_id: z.number().int(),
  description: optionalString,
  date_created: optionalString,
  date_modified: optionalString,
});

/** One entry of `errors` in a metafield batch answer (partial success). */
export const batchItemErrorSchema = z.looseObject({
  status: z.number().optional(),
  title: z.string().optional(),
  errors: z.record(z.string(), z.unknown()).optional(),
});

/** Metafield POST/PUT: 200, or 422 with the items that did succeed plus per-item errors. */
export const metafieldWriteSchema = z.looseObject({
  data: z.array(metafieldSchema).default([]),
  errors: z.array(batchItemErrorSchema).optional(),
  meta: z.looseObject({}).optional(),
});

export const metafieldDeleteSchema = z.looseObject({
  data: z.array(z.number()).optional(),
  errors: z.array(batchItemErrorSchema).optional(),
});

export const customerGroupSchema = z.looseObject({
  id: id,
  name: z.string(),
  is_default: z.boolean(),
  date_created: optionalString,
  date_modified: optionalString,
  is_group_for_guests: z.boolean().optional(),
  // Not relied upon by the bridge: a shape we do not know must not fail the whole list.
  category_access: z
    .looseObject({
      type: z.enum(["all", "specific", "none"]),
      categories: z.array(z.number()).optional(),
    })
    .optional()
    .catch(undefined),
  discount_rules: z.array(z.unknown()).optional(),
});

export const countSchema = z.looseObject({ count: z.number().int().nonnegative() });

/** V3 `ErrorResponse`; `errors` values are strings in practice but not everywhere. */
export const v3ErrorSchema = z.looseObject({
  status: z.number().optional(),
  title: z.string().optional(),
  type: z.string().optional(),
  instance: z.string().optional(),
  detail: z.string().optional(),
  errors: z.union([z.record(z.string(), z.unknown()), z.array(z.unknown())]).optional(),
});

/** V2 errors: a bare array `[{status, message}]`. */
export const v2ErrorSchema = z.array(
  z.looseObject({
    status: z.number().optional(),
    message: z.string().optional(),
    title: z.string().optional(),
  }),
);

// Compile-time checks that what the schemas produce is what api.ts promises.
type Assignable<A, B extends A> = B;
export type _CustomerCheck = Assignable<Customer, z.output<typeof customerSchema>>;
export type _AddressCheck = Assignable<CustomerAddress, z.output<typeof addressSchema>>;
export type _AttributeValueCheck = Assignable<CustomerAttributeValue, z.output<typeof attributeValueSchema>>;
export type _AttributeCheck = Assignable<AttributeDefinition, z.output<typeof attributeDefinitionSchema>>;
export type _MetafieldCheck = Assignable<Metafield, z.output<typeof metafieldSchema>>;
export type _GroupCheck = Assignable<CustomerGroup, z.output<typeof customerGroupSchema>>;
export type _PaginationCheck = Assignable<Pagination, z.output<typeof paginationSchema>>;
