/**
 * Validation of POST and PUT /v3/customers items. Field limits come from the spec's
 * customer_Post / customer_Put schemas; where the spec is silent we are stricter (see
 * docs/emulator-differences.md): email format, existing customer group, password policy,
 * attribute values that parse as their attribute's type.
 */
import { checkAddressRules, checkAddressShape, withAddressDefaults } from "./address-rules.js";
import type { ResolvedOptions } from "./options.js";
import { checkFormFieldRules } from "./form-field-rules.js";
import type { EmulatorStore } from "./store.js";
import {
  checkFormFields,
  checkKinds,
  checkLength,
  isPlainObject,
  looksLikeEmail,
  type Problems,
  requireFields,
} from "./validation.js";
import type { AttributeType } from "./records.js";

const CUSTOMER_KINDS = {
  id: "int",
  email: "string",
  first_name: "string",
  last_name: "string",
  company: "string",
  phone: "string",
  notes: "string",
  tax_exempt_category: "string",
  registration_ip_address: "string",
  customer_group_id: "int",
  authentication: "object",
  accepts_product_review_abandoned_cart_emails: "boolean",
  store_credit_amounts: "array",
  origin_channel_id: "int",
  channel_ids: "array",
  addresses: "array",
  attributes: "array",
  trigger_account_created_notification: "boolean",
} as const;

/** Fields PUT may not touch: sub-resources and the read-only fields of the spec. */
export const PUT_FORBIDDEN: Record<string, string> = {
  addresses: "Subresource updates are not supported",
  attributes: "Attributes Values can not be updated using Update a Customer",
  origin_channel_id: "origin_channel_id is immutable",
  registration_ip_address: "registration_ip_address is read-only",
  date_created: "date_created is read-only",
  date_modified: "date_modified is read-only",
};

/** Play-style JSON type checks for one item; nested objects get dotted paths. */
export function checkCustomerShape(problems: Problems, item: Record<string, unknown>): void {
  checkKinds(problems, item, CUSTOMER_KINDS, "", ["channel_ids"]);
  if (isPlainObject(item.authentication)) {
    checkKinds(problems, item.authentication, { force_password_reset: "boolean", new_password: "string" }, "authentication.");
  }
  if (Array.isArray(item.channel_ids)) {
    item.channel_ids.forEach((id, i) => {
      if (!Number.isSafeInteger(id)) problems.shapeError(`channel_ids.${i}`, "error.expected.jsnumber");
    });
  }
  if (Array.isArray(item.store_credit_amounts)) {
    item.store_credit_amounts.forEach((credit, i) => {
      if (!isPlainObject(credit) || typeof credit.amount !== "number") {
        problems.shapeError(`store_credit_amounts.${i}.amount`, "error.expected.jsnumber");
      }
    });
  }
  if (Array.isArray(item.addresses)) {
    item.addresses.forEach((address, i) => {
      if (isPlainObject(address)) checkAddressShape(problems, address, `addresses.${i}.`);
      else problems.shapeError(`addresses.${i}`, "error.expected.jsobject");
    });
  }
  if (Array.isArray(item.attributes)) {
    item.attributes.forEach((attribute, i) => {
      if (isPlainObject(attribute)) {
        checkKinds(problems, attribute, { attribute_id: "int", attribute_value: "string" }, `attributes.${i}.`);
      } else {
        problems.shapeError(`attributes.${i}`, "error.expected.jsobject");
      }
    });
  }
  checkFormFields(problems, "form_fields", item.form_fields);
}

/** Default store password policy: at least 7 characters with letters and digits. */
export function passwordProblem(password: string): string | null {
  if ([...password].length < 7 || !/[A-Za-z]/.test(password) || !/[0-9]/.test(password)) {
    return "Password must be at least 7 characters long and contain both letters and numbers";
  }
  return null;
}

/** Whether an attribute value parses as its attribute's declared type (values are strings). */
export function attributeValueProblem(type: AttributeType, value: string): string | null {
  if (value === "") return null;
  if (type === "number" && !Number.isFinite(Number(value))) return `value "${value}" is not a number`;
  if (type === "date" && Number.isNaN(Date.parse(value))) return `value "${value}" is not a date`;
  return null;
}

/** Rules shared by POST and PUT, on the fields an item actually sends. */
export function checkCustomerRules(
  problems: Problems,
  index: number,
  item: Record<string, unknown>,
  mode: "create" | "update",
  store: EmulatorStore,
  options: ResolvedOptions,
): void {
  const key = (field: string): string => `${index}.${field}`;
  if (mode === "create") requireFields(problems, `${index}.`, item, ["email", "first_name", "last_name"]);
  checkLength(problems, key("email"), "email", item.email, 3, mode === "create" ? 250 : 255);
  if (typeof item.email === "string" && !looksLikeEmail(item.email)) {
    problems.rule(key("email"), "email must be a valid email address");
  }
  checkLength(problems, key("first_name"), "first_name", item.first_name, 1, 100);
  checkLength(problems, key("last_name"), "last_name", item.last_name, 1, 100);
  checkLength(problems, key("company"), "company", item.company, 0, 255);
  checkLength(problems, key("phone"), "phone", item.phone, 0, 50);
  checkLength(problems, key("tax_exempt_category"), "tax_exempt_category", item.tax_exempt_category, 0, 255);
  const group = item.customer_group_id;
  if (typeof group === "number" && group !== 0 && !store.groups.has(group)) {
    problems.rule(key("customer_group_id"), `customer group ${group} does not exist`);
  }
  if (Array.isArray(item.channel_ids)) {
    if (item.channel_ids.length === 0) problems.rule(key("channel_ids"), "channel_ids cannot be empty");
    if (item.channel_ids.some((id) => typeof id === "number" && id < 1)) {
      problems.rule(key("channel_ids"), "channel_ids must be positive channel IDs");
    }
    // Documentation is silent on unknown channels; the stricter choice refuses them.
    const unknown = item.channel_ids.filter((id) => typeof id === "number" && id >= 1 && !store.channels.has(id));
    if (unknown.length > 0) problems.rule(key("channel_ids"), `channel(s) ${unknown.join(", ")} do not exist`);
  }
  if (typeof item.origin_channel_id === "number" && item.origin_channel_id < 1) {
    problems.rule(key("origin_channel_id"), "origin_channel_id must be a positive channel ID");
  }
  const password = isPlainObject(item.authentication) ? item.authentication.new_password : undefined;
  if (typeof password === "string" && options.passwordPolicy) {
    const problem = passwordProblem(password);
    if (problem !== null) problems.rule(key("authentication.new_password"), problem);
  }
  if (Array.isArray(item.store_credit_amounts)) {
    item.store_credit_amounts.forEach((credit, i) => {
      if (isPlainObject(credit) && typeof credit.amount === "number" && credit.amount < 0) {
        problems.rule(key(`store_credit_amounts.${i}.amount`), "amount cannot be negative");
      }
    });
  }
  checkFormFieldRules(problems, `${index}.`, item.form_fields, options);
  if (mode === "create") checkInlineSubresources(problems, index, item, store);
}

function checkInlineSubresources(problems: Problems, index: number, item: Record<string, unknown>, store: EmulatorStore): void {
  if (Array.isArray(item.addresses)) {
    if (item.addresses.length > 10) problems.rule(`${index}.addresses`, "a customer can be created with at most 10 addresses");
    item.addresses.forEach((address, i) => {
      if (!isPlainObject(address)) return;
      const prefix = `${index}.addresses.${i}.`;
      requireFields(problems, prefix, address, ["first_name", "last_name", "address1", "city", "country_code"]);
      checkAddressRules(problems, prefix, withAddressDefaults(address));
    });
  }
  if (Array.isArray(item.attributes)) {
    if (item.attributes.length > 10) problems.rule(`${index}.attributes`, "a customer can be created with at most 10 attributes");
    const seen = new Set<number>();
    item.attributes.forEach((attribute, i) => {
      if (!isPlainObject(attribute)) return;
      const prefix = `${index}.attributes.${i}.`;
      requireFields(problems, prefix, attribute, ["attribute_id", "attribute_value"]);
      const id = attribute.attribute_id;
      if (typeof id !== "number") return;
      const definition = store.attributes.get(id);
      if (definition === undefined) {
        problems.rule(prefix + "attribute_id", `attribute ${id} does not exist`);
        return;
      }
      if (seen.has(id)) problems.rule(prefix + "attribute_id", `attribute ${id} is given twice`);
      seen.add(id);
      const value = attribute.attribute_value;
      checkLength(problems, prefix + "attribute_value", "attribute_value", value, 0, 255);
      const problem = typeof value === "string" ? attributeValueProblem(definition.type, value) : null;
      if (problem !== null) problems.rule(prefix + "attribute_value", problem);
    });
  }
}
