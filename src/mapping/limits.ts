import { invalidValue } from "../scim-error.js";
import { maxLengthOf } from "./attribute-table.js";
import { CORE_USER } from "./urns.js";

/**
 * BigCommerce's documented field limits (customers.v3.yml customer_Post / customer_Put), checked
 * before any upstream call so that a value BigCommerce would refuse is a 400 naming the SCIM
 * attribute, and so that nothing is half-written.
 */
export const LIMITS = {
  emailOnCreate: 250,
  email: 255,
  emailMin: 3,
  // Per-field limits are rows of the attribute table (copied fields are checked from their row).
  name: maxLengthOf(CORE_USER, "name.givenName"),
  phone: maxLengthOf(CORE_USER, "phoneNumbers"),
  /** Any value kept in a customer attribute (storable attributes, externalId). */
  attributeValue: 255,
  password: maxLengthOf(CORE_USER, "password"),
} as const;

export function checkLength(attribute: string, value: string, max: number, min = 0): void {
  const length = [...value].length;
  if (length > max) {
    throw invalidValue(`'${attribute}' is ${length} characters long; BigCommerce accepts at most ${max}`);
  }
  if (length < min) {
    throw invalidValue(`'${attribute}' must be at least ${min} characters long`);
  }
}

// Deliberately permissive: one "@" with something on each side and no whitespace or comma.
// BigCommerce validates the rest; a comma would split a CSV lookup, so it is refused here.
const EMAIL = /^[^\s@,]+@[^\s@,]+$/;

export function checkEmail(attribute: string, value: string, onCreate: boolean): void {
  checkLength(attribute, value, onCreate ? LIMITS.emailOnCreate : LIMITS.email, LIMITS.emailMin);
  if (!EMAIL.test(value)) {
    throw invalidValue(`'${attribute}' must be an email address (BigCommerce identifies customers by email)`);
  }
}
