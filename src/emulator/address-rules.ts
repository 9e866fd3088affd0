/**
 * Address validation shared by inline addresses on POST /v3/customers and the
 * /v3/customers/addresses endpoints. Country names come from ICU, so every ISO 3166 alpha-2
 * code is known without shipping a table.
 */
import type { AddressRecord, AddressType } from "./records.js";
import { checkFormFields, checkKinds, checkLength, type Problems } from "./validation.js";

const regionNames = new Intl.DisplayNames(["en"], { type: "region" });

/** The country's English name, or null for a code that is not an ISO 3166 alpha-2 region. */
export function countryName(code: string): string | null {
  if (!/^[A-Z]{2}$/.test(code)) return null;
  const name = regionNames.of(code);
  return name === undefined || name === code || name === "Unknown Region" ? null : name;
}

/** Countries whose addresses need a state/province (spec: "required for countries that need"). */
const STATE_REQUIRED = new Set(["US", "CA", "AU", "IN", "BR", "MX"]);
const POSTAL_REQUIRED = new Set(["US", "CA", "AU", "GB", "DE", "FR", "NL", "ES", "IT", "IN", "BR", "MX", "JP"]);

export const ADDRESS_KINDS = {
  first_name: "string",
  last_name: "string",
  company: "string",
  address1: "string",
  address2: "string",
  city: "string",
  state_or_province: "string",
  postal_code: "string",
  country_code: "string",
  phone: "string",
  address_type: "string",
  customer_id: "int",
  id: "int",
} as const;

export const ADDRESS_FIELDS = [
  "first_name",
  "last_name",
  "company",
  "address1",
  "address2",
  "city",
  "state_or_province",
  "postal_code",
  "country_code",
  "phone",
  "address_type",
] as const;

export type AddressFields = Pick<AddressRecord, (typeof ADDRESS_FIELDS)[number]>;

export function checkAddressShape(problems: Problems, item: Record<string, unknown>, prefix: string): void {
  checkKinds(problems, item, ADDRESS_KINDS, prefix);
  checkFormFields(problems, `${prefix}form_fields`, item.form_fields);
}

/** Rules on a complete address (after defaults or after merging an update). */
export function checkAddressRules(problems: Problems, key: string, address: AddressFields): void {
  checkLength(problems, key + "first_name", "first_name", address.first_name, 1, 255);
  checkLength(problems, key + "last_name", "last_name", address.last_name, 1, 255);
  checkLength(problems, key + "company", "company", address.company, 0, 255);
  checkLength(problems, key + "address1", "address1", address.address1, 1, 255);
  checkLength(problems, key + "address2", "address2", address.address2, 0, 255);
  checkLength(problems, key + "city", "city", address.city, 1, 100);
  checkLength(problems, key + "state_or_province", "state_or_province", address.state_or_province, 0, 100);
  checkLength(problems, key + "postal_code", "postal_code", address.postal_code, 0, 30);
  checkLength(problems, key + "phone", "phone", address.phone, 0, 50);
  if (!["residential", "commercial"].includes(address.address_type)) {
    problems.rule(key + "address_type", "address_type must be one of: residential, commercial");
  }
  if (countryName(address.country_code) === null) {
    problems.rule(key + "country_code", `country_code "${address.country_code}" is not a valid country code`);
    return;
  }
  if (STATE_REQUIRED.has(address.country_code)) {
    if (address.state_or_province === "") {
      problems.rule(key + "state_or_province", "state_or_province is required for this country");
    } else if (/^[A-Z]{2,3}$/.test(address.state_or_province)) {
      problems.rule(key + "state_or_province", "state_or_province must be the full name; codes are not accepted");
    }
  }
  if (POSTAL_REQUIRED.has(address.country_code) && address.postal_code === "") {
    problems.rule(key + "postal_code", "postal_code is required for this country");
  }
}

/** Fills the defaults BigCommerce applies to omitted optional fields. */
export function withAddressDefaults(item: Record<string, unknown>): AddressFields {
  const text = (field: string): string => (typeof item[field] === "string" ? (item[field] as string) : "");
  return {
    first_name: text("first_name"),
    last_name: text("last_name"),
    company: text("company"),
    address1: text("address1"),
    address2: text("address2"),
    city: text("city"),
    state_or_province: text("state_or_province"),
    postal_code: text("postal_code"),
    country_code: text("country_code"),
    phone: text("phone"),
    address_type: (typeof item.address_type === "string" ? item.address_type : "residential") as AddressType,
  };
}

/** Two addresses of one customer are the same when every core field matches (spec). */
export function sameAddress(a: AddressFields & { customer_id: number }, b: AddressFields & { customer_id: number }): boolean {
  return a.customer_id === b.customer_id && ADDRESS_FIELDS.every((field) => a[field] === b[field]);
}
