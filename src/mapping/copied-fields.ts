import type { Customer } from "../bigcommerce/api.js";
import { scimNameOf, USER_ATTRIBUTES, type AttributeRow, type CustomerStringField } from "./attribute-table.js";
import { checkLength } from "./limits.js";
import { BIGCOMMERCE_CUSTOMER, CORE_USER } from "./urns.js";
import type { UserDocument } from "./user-document.js";

/**
 * The translation of every mapped field that is a plain copy (COPIED_FIELD_ROWS in
 * attribute-table.ts), derived from its row: a new row needs no code here.
 */

type CopiedRow = AttributeRow & { readonly storage: { readonly kind: "field"; readonly translation: "copy"; readonly field: CustomerStringField } };

const isCopied = (row: AttributeRow): row is CopiedRow => row.storage.kind === "field" && row.storage.translation === "copy";

const COPIED: readonly CopiedRow[] = USER_ATTRIBUTES.filter(isCopied);

// The document schema and the representation hold a copied value directly under its schema;
// a sub-attribute would need mapping code of its own.
for (const row of COPIED) {
  if (row.path.includes(".")) throw new Error(`${scimNameOf(row)}: a copied field must be a top-level attribute`);
}

/** How BigCommerce stores "no value" in a string field. */
const UNASSIGNED = "";

/** The copied values a change may carry, by customer field; absent = unchanged. */
export type CopiedFieldChanges = Partial<Record<CustomerStringField, string>>;

/** Where a schema's attributes sit in a document or a User: the top level, or the extension object. */
function holderIn(doc: Record<string, unknown>, schema: AttributeRow["schema"]): Record<string, unknown> | null | undefined {
  return schema === CORE_USER ? doc : (doc[schema] as Record<string, unknown> | null | undefined);
}

/**
 * SCIM -> customer fields: a value sent is copied (after BigCommerce's length limit), null or a
 * removed extension is BigCommerce's unassigned value, an absent one is left as it is.
 */
export function copiedFieldChanges(doc: UserDocument): CopiedFieldChanges {
  const out: CopiedFieldChanges = {};
  for (const row of COPIED) {
    const holder = holderIn(doc, row.schema);
    if (holder === undefined) continue;
    // userDocumentSchema declares every copied attribute a nullish string.
    const sent = holder === null ? null : (holder[row.path] as string | null | undefined);
    if (sent === undefined) continue;
    const value = sent ?? UNASSIGNED;
    if (row.storage.maxLength !== undefined) checkLength(scimNameOf(row), value, row.storage.maxLength);
    out[row.storage.field] = value;
  }
  return out;
}

/** Customer -> the copied attributes of one schema, in table order; unassigned ones are left out (RFC 7643 §2.5). */
export function copiedValuesIn(customer: Customer, schema: AttributeRow["schema"]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const row of COPIED) {
    const value = row.schema === schema ? customer[row.storage.field] : undefined;
    if (value) out[row.path] = value;
  }
  return out;
}

/** The copied fields of a create body: a new customer already has the unassigned ones. */
export function copiedCreateFields(fields: CopiedFieldChanges): CopiedFieldChanges {
  const out: CopiedFieldChanges = {};
  for (const row of COPIED) {
    const value = fields[row.storage.field];
    if (value !== undefined && value !== UNASSIGNED) out[row.storage.field] = value;
  }
  return out;
}

/**
 * PUT replaces the mapped attributes (RFC 7644 §3.5.1): a copied core or enterprise attribute the
 * body leaves out becomes null (cleared). The BigCommerce extension's stay as they are: they are
 * store settings an IdP does not own.
 */
export function withCopiedCleared(doc: UserDocument): UserDocument {
  const out: Record<string, unknown> = { ...doc };
  for (const row of COPIED) {
    if (row.schema === BIGCOMMERCE_CUSTOMER) continue;
    const holder = row.schema === CORE_USER ? out : (out[row.schema] = { ...(out[row.schema] as object | null | undefined) });
    if (holder[row.path] === undefined) holder[row.path] = null;
  }
  return out as UserDocument;
}
