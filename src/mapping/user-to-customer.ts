import type { CustomerUpdate } from "../bigcommerce/api.js";
import { CORE_STORABLE, ENTERPRISE_STORABLE, isCoreStorable, isEnterpriseStringStorable, type StorableAttribute } from "./attribute-table.js";
import { invalidValue } from "../scim-error.js";
import type { CatalogKey } from "./bridge-attributes.js";
import type { CustomerFormField } from "../bigcommerce/api.js";
import { customChanges, type CustomMapping } from "./custom-mapping.js";
import { copiedFieldChanges, withCopiedCleared } from "./copied-fields.js";
import { checkEmail, checkLength, LIMITS } from "./limits.js";
import type { UserDocument } from "./user-document.js";
import { BIGCOMMERCE_CUSTOMER, ENTERPRISE_USER } from "./urns.js";
import { sameEmail } from "../email-fold.js";

/** Customer fields a SCIM request may set; absent = unchanged. */
export type CustomerFieldChanges = Omit<CustomerUpdate, "id" | "authentication">;

/** What one SCIM write asks of a customer, before it is compared with the customer's state. */
export interface UserChange {
  fields: CustomerFieldChanges;
  password?: string;
  active?: boolean;
  /** Values kept in customer attributes (the bridge's and mapped ones); null removes the value. */
  attributes: Partial<Record<CatalogKey, string | null>>;
  /** Mapped form fields the request names ("" removes a value). */
  formFields?: CustomerFormField[];
}

export interface ChangeOptions {
  mode: "create" | "replace";
  /** The customer's email before this request (replace only). */
  currentEmail?: string;
  /**
   * Whether the request itself carries `userName` (a PUT or POST always does; a PATCH when an
   * operation names it). A userName the client sent is the identity it will look the user up
   * by, so it always wins over `emails`; only a request without one lets `emails` move it.
   */
  userNameSent?: boolean;
  storedAttributes: readonly StorableAttribute[];
  /** The mapping file's entries (custom-mapping.ts); none when absent. */
  mapping?: CustomMapping;
}


const blank = (s: string | null | undefined): s is null | undefined | "" => s === undefined || s === null || s.trim() === "";

/** The primary email, else the work one, else the first (RFC 7643 §2.4: at most one primary). */
function pickEmail(doc: UserDocument): string | undefined {
  const list = (doc.emails ?? []).filter((e) => !blank(e.value));
  const chosen = list.find((e) => e.primary === true) ?? list.find((e) => e.type?.toLowerCase() === "work") ?? list[0];
  return chosen?.value?.trim() ?? undefined;
}

function pickPhone(doc: UserDocument): { value: string; type: string | null } | undefined {
  const list = (doc.phoneNumbers ?? []).filter((p) => !blank(p.value));
  const chosen = list.find((p) => p.primary === true) ?? list.find((p) => p.type?.toLowerCase() === "work") ?? list[0];
  if (!chosen?.value) return undefined;
  const type = chosen.type?.trim().toLowerCase();
  return { value: chosen.value.trim(), type: type ? type : null };
}

/**
 * BigCommerce requires a first and a last name of 1..100 characters. When the IdP sends none,
 * derive them from displayName, else from the email's local part; never send an empty string.
 */
export function deriveNames(displayName: string | null | undefined, email: string): { first: string; last: string } {
  const source = !blank(displayName) ? displayName.trim() : email.split("@")[0]!.replace(/[._+-]+/g, " ").trim() || email;
  const words = source.split(/\s+/);
  const first = words.length > 1 ? words.slice(0, -1).join(" ") : words[0]!;
  const last = words.length > 1 ? words[words.length - 1]! : words[0]!;
  const cut = (s: string) => [...s].slice(0, LIMITS.name).join("");
  return { first: cut(first), last: cut(last) };
}

function storedValue(attr: string, v: string | null | undefined): string | null | undefined {
  if (v === undefined) return undefined;
  if (v === null || v === "") return null;
  checkLength(attr, v, LIMITS.attributeValue);
  return v;
}

/** SCIM User document -> the changes it asks of a customer. Pure; throws 400s for bad values. */
export function userChangeFromDocument(doc: UserDocument, opts: ChangeOptions): UserChange {
  const change: UserChange = { fields: {}, attributes: {} };
  const f = change.fields;

  // Identity: userName is the customer's email. A userName the request carries always wins; a
  // request that does not carry one (a PATCH of emails only) moves the userName with the email.
  const userName = blank(doc.userName) ? undefined : doc.userName.trim();
  if (!userName) throw invalidValue("Attribute 'userName' is required (it is the customer's email address)");
  const email = pickEmail(doc);
  let newEmail = userName;
  if (
    opts.mode === "replace" &&
    opts.userNameSent === false &&
    email &&
    opts.currentEmail !== undefined &&
    sameEmail(userName, opts.currentEmail) &&
    !sameEmail(email, opts.currentEmail)
  ) {
    newEmail = email;
  }
  checkEmail(newEmail === userName ? "userName" : "emails", newEmail, opts.mode === "create");
  f.email = newEmail;

  const given = doc.name?.givenName?.trim();
  const family = doc.name?.familyName?.trim();
  if (given) checkLength("name.givenName", given, LIMITS.name);
  if (family) checkLength("name.familyName", family, LIMITS.name);
  if (opts.mode === "create" || given || family || doc.name === null) {
    const derived = deriveNames(doc.displayName ?? doc.name?.formatted, newEmail);
    if (opts.mode === "create" || given || doc.name === null) f.first_name = given || derived.first;
    if (opts.mode === "create" || family || doc.name === null) f.last_name = family || derived.last;
  }

  if (doc.phoneNumbers !== undefined) {
    const phone = pickPhone(doc);
    checkLength("phoneNumbers.value", phone?.value ?? "", LIMITS.phone);
    f.phone = phone?.value ?? "";
    // The one stored number keeps its type, so `phoneNumbers[type eq "mobile"]` finds it again;
    // "work" (the default) is not stored.
    const type = phone?.type && phone.type !== "work" ? phone.type : null;
    if (type) checkLength("phoneNumbers.type", type, LIMITS.attributeValue);
    change.attributes.phoneType = type;
  }

  Object.assign(f, copiedFieldChanges(doc));

  const bc = doc[BIGCOMMERCE_CUSTOMER];
  if (bc === null) {
    // The whole extension removed: every settable value back to BigCommerce's unassigned one
    // (the copied fields' too, in copiedFieldChanges).
    f.customer_group_id = 0;
    f.channel_ids = null;
    f.accepts_product_review_abandoned_cart_emails = false;
  } else if (bc) {
    if (bc.customerGroupId !== undefined) f.customer_group_id = bc.customerGroupId ?? 0;
    if (bc.channelIds !== undefined) {
      if (bc.channelIds !== null && bc.channelIds.length === 0) {
        throw invalidValue(`'${BIGCOMMERCE_CUSTOMER}:channelIds' cannot be empty; use null for access to every channel`);
      }
      f.channel_ids = bc.channelIds ? [...new Set(bc.channelIds)] : null;
    }
    // Removed (null): BigCommerce's unassigned value, false.
    if (bc.acceptsProductReviewAbandonedCartEmails !== undefined) {
      f.accepts_product_review_abandoned_cart_emails = bc.acceptsProductReviewAbandonedCartEmails ?? false;
    }
  }

  if (!blank(doc.password)) {
    checkLength("password", doc.password, LIMITS.password, 1);
    change.password = doc.password;
  }
  if (doc.active !== undefined && doc.active !== null) change.active = doc.active;

  const externalId = storedValue("externalId", doc.externalId);
  if (externalId !== undefined) change.attributes.externalId = externalId;

  const ent = doc[ENTERPRISE_USER];
  for (const key of opts.storedAttributes) {
    let v: string | null | undefined;
    if (isCoreStorable(key)) v = doc[key];
    else if (isEnterpriseStringStorable(key)) v = ent === null ? null : (ent?.[key] ?? (ent && key in ent ? null : undefined));
    else if (key === "manager") v = ent === null ? null : ent?.manager === null ? null : ent?.manager?.value;
    const checked = storedValue(key, v);
    if (checked !== undefined) change.attributes[key] = checked;
  }
  if (opts.mapping && opts.mapping.entries.length > 0) {
    const custom = customChanges(doc, opts.mapping);
    Object.assign(change.attributes, custom.attributes);
    if (custom.formFields.length > 0) change.formFields = custom.formFields;
  }
  return change;
}

/**
 * PUT replaces the mapped attributes: one the body leaves out is cleared, as RFC 7644 §3.5.1
 * asks. Exceptions, so that a partial PUT (a OneLogin template) cannot do damage: the names
 * (BigCommerce requires them), `active` and `password` (only changed when sent), and the
 * BigCommerce extension (store settings an IdP does not own) stay as they are when absent.
 */
export function withPutDefaults(doc: UserDocument, storedAttributes: readonly StorableAttribute[]): UserDocument {
  const out: UserDocument = withCopiedCleared(doc);
  if (out.externalId === undefined) out.externalId = null;
  if (out.phoneNumbers === undefined) out.phoneNumbers = null;
  for (const key of CORE_STORABLE) {
    if (storedAttributes.includes(key) && out[key as keyof UserDocument] === undefined) {
      (out as Record<string, unknown>)[key] = null;
    }
  }
  const ent = { ...(out[ENTERPRISE_USER] ?? {}) } as Record<string, unknown>;
  for (const key of [...ENTERPRISE_STORABLE, "manager" as const]) {
    if (storedAttributes.includes(key) && ent[key] === undefined) ent[key] = null;
  }
  out[ENTERPRISE_USER] = ent as UserDocument[typeof ENTERPRISE_USER];
  return out;
}
