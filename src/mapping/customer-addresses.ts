/**
 * SCIM `addresses` <-> BigCommerce customer addresses, when the mapping document lists address
 * types (`addresses.types`, mapping-file.ts). Pure: it decides, src/scim/users/address-writer.ts
 * writes.
 *
 * Ownership: a customer may have addresses of its own (entered by the shopper at checkout). The
 * bridge owns only the ones it created, one per SCIM type, and remembers which in a bookkeeping
 * customer attribute (`scim_addresses`, the ledger: `work:123,home:456`), so it survives restarts
 * and is the same for every replica. Only ledger ids are ever updated, deleted or shown; a
 * shopper's address is invisible to SCIM and never touched.
 */
import type { AddressFields, Customer, CustomerAddress } from "../bigcommerce/api.js";
import { invalidValue } from "../scim-error.js";
import { countryCodeOf, POSTAL_CODE_REQUIRED, regionFor, STATE_REQUIRED } from "./regions.js";

/** BigCommerce's documented limits (customers.v3.yml; address1/address2: the emulator's 255). */
const MAX = { name: 255, address1: 255, address2: 255, city: 100, state_or_province: 100, postal_code: 30 } as const;
/** A ledger value is a customer attribute value: at most 255 characters. */
const MAX_LEDGER = 255;
/** The longest id BigCommerce can hand out (int32). */
const MAX_ID_DIGITS = 10;

/** What the bridge remembers: SCIM type (lower case) -> BigCommerce address id. */
export type AddressLedger = ReadonlyMap<string, number>;

export function parseLedger(value: string | undefined): Map<string, number> {
  const out = new Map<string, number>();
  // A hand-edited or damaged entry is forgotten: the bridge then owns less, never a shopper's address.
  for (const entry of (value ?? "").split(",")) {
    const m = /^([a-z][a-z0-9_-]*):([1-9]\d{0,9})$/.exec(entry.trim());
    if (m && Number(m[2]) <= 2_147_483_647) out.set(m[1]!, Number(m[2]));
  }
  return out;
}

export function formatLedger(ledger: AddressLedger): string {
  return [...ledger].map(([type, id]) => `${type}:${id}`).join(",");
}

/** One address the IdP wants, in BigCommerce's terms (the names come from the customer). */
export interface WantedAddress {
  /** SCIM type, lower case. */
  type: string;
  /** SCIM name of the element, for messages: `addresses[type eq "work"]`. */
  scimName: string;
  fields: Omit<AddressFields, "first_name" | "last_name">;
}

/**
 * What a request says about addresses: `undefined` = nothing (leave them), else the complete
 * wanted set by type (empty = remove the bridge's addresses), and the elements nothing maps.
 */
export interface AddressRequest {
  wanted: ReadonlyMap<string, WantedAddress>;
  /** Elements of types the mapping does not list (or without a type): reported as unmapped. */
  unmapped: string[];
}

const SUBS = ["streetAddress", "locality", "region", "postalCode", "country"] as const;

const text = (el: Record<string, unknown>, key: string): string => {
  const v = el[key];
  return typeof v === "string" ? v.trim() : "";
};

export class AddressMapping {
  /** Configured types, lower case, in the mapping document's order. */
  readonly types: readonly string[];

  constructor(types: readonly string[]) {
    this.types = types.map((t) => t.toLowerCase());
    const longest = formatLedger(new Map(this.types.map((t) => [t, 10 ** MAX_ID_DIGITS - 1])));
    if (longest.length > MAX_LEDGER) {
      throw new Error(
        `addresses.types: the bridge remembers its address of each type in one customer attribute value (at most ${MAX_LEDGER} characters); ` +
          `${this.types.length} types of these lengths need up to ${longest.length}. List fewer or shorter types.`,
      );
    }
  }

  /**
   * Whether SCIM `addresses` are mapped at all. When not, they are accepted and not stored, and
   * must be reported as an unmapped attribute (the generic unmapped-attribute report).
   */
  get mapped(): boolean {
    return this.types.length > 0;
  }

  /**
   * The addresses a request asks for. `addresses` absent from a create, or from a deactivation,
   * says nothing (`undefined`); a PUT or PATCH result without them asks for none (`replace`).
   * Refuses (400 invalidValue, naming the attribute) what BigCommerce would refuse, so that
   * nothing is written.
   */
  requested(addresses: unknown, mode: "create" | "replace"): AddressRequest | undefined {
    if (!this.mapped) return undefined;
    if (addresses === undefined && mode === "create") return undefined;
    const list = Array.isArray(addresses) ? addresses : addresses === null || addresses === undefined ? [] : [addresses];
    const wanted = new Map<string, WantedAddress>();
    const unmapped: string[] = [];
    for (const raw of list) {
      if (raw === null || raw === undefined) continue;
      if (typeof raw !== "object" || Array.isArray(raw)) throw invalidValue("Attribute 'addresses' must be a list of address objects");
      const el = raw as Record<string, unknown>;
      const type = text(el, "type").toLowerCase();
      // An element with nothing in it is what a removed sub-attribute leaves behind.
      if (SUBS.every((s) => el[s] === undefined || el[s] === null || el[s] === "") && (el.formatted === undefined || el.formatted === null)) continue;
      if (type === "" || !this.types.includes(type)) {
        unmapped.push(type === "" ? "addresses (without type)" : `addresses[type eq "${type}"]`);
        continue;
      }
      const scimName = `addresses[type eq "${type}"]`;
      if (wanted.has(type)) throw invalidValue(`Attribute 'addresses' has two addresses of type "${type}"; the bridge keeps one per type`);
      wanted.set(type, { type, scimName, fields: this.fieldsOf(el, scimName) });
    }
    const seen = new Map<string, string>();
    for (const w of wanted.values()) {
      const key = JSON.stringify([addressTypeOf(w.type), w.fields]);
      const other = seen.get(key);
      if (other !== undefined) {
        throw invalidValue(`Attributes '${other}' and '${w.scimName}' are the same address; BigCommerce keeps one copy of an address, so send it once`);
      }
      seen.set(key, w.scimName);
    }
    return { wanted, unmapped };
  }

  private fieldsOf(el: Record<string, unknown>, scimName: string): WantedAddress["fields"] {
    for (const sub of [...SUBS, "formatted"]) {
      const v = el[sub];
      if (v !== undefined && v !== null && typeof v !== "string") throw invalidValue(`Attribute '${scimName}.${sub}' must be a string`);
    }
    const name = (sub: string) => `'${scimName}.${sub}'`;
    const lines = text(el, "streetAddress")
      .split(/\r?\n/)
      .map((l) => l.trim())
      .filter((l) => l !== "");
    if (lines.length === 0) throw invalidValue(`Attribute ${name("streetAddress")} is required: BigCommerce needs an address line (address1)`);
    const address1 = lines[0]!;
    const address2 = lines.slice(1).join(", ");
    const city = text(el, "locality");
    if (city === "") throw invalidValue(`Attribute ${name("locality")} is required: BigCommerce needs a city`);
    const country = text(el, "country");
    if (country === "") throw invalidValue(`Attribute ${name("country")} is required: BigCommerce needs a country (ISO 3166-1 alpha-2 code)`);
    const countryCode = countryCodeOf(country);
    if (countryCode === null) throw invalidValue(`Attribute ${name("country")}: '${country}' is not an ISO 3166-1 alpha-2 country code`);
    const regionSent = text(el, "region");
    let state = "";
    if (regionSent !== "") {
      const region = regionFor(countryCode, regionSent);
      if (!region.ok) throw invalidValue(`Attribute ${name("region")}: ${region.reason}`);
      state = region.name;
    } else if (STATE_REQUIRED.has(countryCode)) {
      throw invalidValue(`Attribute ${name("region")} is required for country ${countryCode}: BigCommerce needs the state or province`);
    }
    const postalCode = text(el, "postalCode");
    if (postalCode === "" && POSTAL_CODE_REQUIRED.has(countryCode)) {
      throw invalidValue(`Attribute ${name("postalCode")} is required for country ${countryCode}: BigCommerce needs a postal code`);
    }
    const limit = (value: string, max: number, sub: string) => {
      if (value.length > max) throw invalidValue(`Attribute ${name(sub)} is longer than BigCommerce's limit of ${max} characters`);
    };
    limit(address1, MAX.address1, "streetAddress");
    limit(address2, MAX.address2, "streetAddress");
    limit(city, MAX.city, "locality");
    limit(state, MAX.state_or_province, "region");
    limit(postalCode, MAX.postal_code, "postalCode");
    return { address1, address2, city, state_or_province: state, postal_code: postalCode, country_code: countryCode };
  }

  /**
   * The bridge's addresses as SCIM shows them: only the ones in the ledger that still exist
   * (a shopper may have deleted one), in the mapping's type order, the first one primary.
   * Shopper addresses are not shown: SCIM shows what the IdP owns.
   */
  representation(customer: Customer, ledgerValue: string | undefined): Record<string, unknown>[] | undefined {
    if (!this.mapped) return undefined;
    const owned = this.ownedAddresses(customer, ledgerValue);
    const out = [...owned].map(([type, a], i) => {
      const street = [a.address1, a.address2].filter((l) => l !== "").join("\n");
      const locality = [a.city, a.state_or_province, a.postal_code].filter((p) => p !== "").join(" ");
      return {
        type,
        streetAddress: street,
        locality: a.city,
        ...(a.state_or_province !== "" ? { region: a.state_or_province } : {}),
        ...(a.postal_code !== "" ? { postalCode: a.postal_code } : {}),
        country: a.country_code,
        formatted: [street, locality, a.country_code].filter((p) => p !== "").join("\n"),
        primary: i === 0,
      };
    });
    return out.length > 0 ? out : undefined;
  }

  /** The bridge's addresses of the mapped types that exist, by type, in type order. */
  ownedAddresses(customer: Customer, ledgerValue: string | undefined): Map<string, CustomerAddress> {
    const ledger = parseLedger(ledgerValue);
    const out = new Map<string, CustomerAddress>();
    for (const type of this.types) {
      const id = ledger.get(type);
      const found = id === undefined ? undefined : customer.addresses?.find((a) => a.id === id && a.customer_id === customer.id);
      if (found) out.set(type, found);
    }
    return out;
  }
}

/** BigCommerce's `address_type` of a new address: a work address is commercial. */
export function addressTypeOf(type: string): "residential" | "commercial" {
  return type === "work" ? "commercial" : "residential";
}

/** The BigCommerce fields an update must send: those that differ from the stored address. */
export function addressDiff(have: CustomerAddress, want: AddressFields): Partial<AddressFields> {
  const diff: Partial<AddressFields> = {};
  for (const key of Object.keys(want) as (keyof AddressFields)[]) if (have[key] !== want[key]) diff[key] = want[key];
  return diff;
}

/** BigCommerce address field -> SCIM sub-attribute, for BigCommerce's own refusals. */
export const SCIM_SUB_OF_ADDRESS_FIELD: Readonly<Record<string, string>> = {
  address1: "streetAddress",
  address2: "streetAddress",
  city: "locality",
  state_or_province: "region",
  postal_code: "postalCode",
  country_code: "country",
  first_name: "name.givenName",
  last_name: "name.familyName",
};

export const NAME_LIMIT = MAX.name;
