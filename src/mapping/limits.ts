import { invalidValue } from "../scim-error.js";

/**
 * BigCommerce's documented field limits (customers.v3.yml customer_Post / customer_Put), checked
 * before any upstream call so that a value BigCommerce would refuse is a 400 naming the SCIM
 * attribute, and so that nothing is half-written.
 */
export const LIMITS = {
  emailOnCreate: 250,
  email: 255,
  emailMin: 3,
  name: 100,
  company: 255,
  phone: 50,
  taxExemptCategory: 255,
  attributeValue: 255,
  password: 100,
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
