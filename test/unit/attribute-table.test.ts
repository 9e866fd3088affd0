import { describe, expect, it } from "vitest";
import type { Customer } from "../../src/bigcommerce/api.js";
import {
  ATTRIBUTE_OF_CUSTOMER_FIELD,
  COPIED_FIELD_ROWS,
  CORE_STORABLE,
  ENTERPRISE_STORABLE,
  STORABLE_ROWS,
  USER_ATTRIBUTES,
  scimNameOf,
  type StorableAttribute,
} from "../../src/mapping/attribute-table.js";
import { AttributeCatalog, BRIDGE_ATTRIBUTE_NAMES, type BridgeAttributeKey } from "../../src/mapping/bridge-attributes.js";
import { copiedCreateFields } from "../../src/mapping/copied-fields.js";
import { userFromCustomer } from "../../src/mapping/customer-to-user.js";
import { parseUserDocument } from "../../src/mapping/user-document.js";
import { userChangeFromDocument, withPutDefaults } from "../../src/mapping/user-to-customer.js";
import { BIGCOMMERCE_CUSTOMER, CORE_USER, ENTERPRISE_USER } from "../../src/mapping/urns.js";
import { scimAttributeForField } from "../../src/scim/errors.js";
import { canonicalName, subShape, USER_SHAPE } from "../../src/scim/normalise/canonical-keys.js";
import { normaliseUserBody } from "../../src/scim/normalise/user-body.js";
import { Discovery } from "../../src/scim/scimmy/discovery.js";
import { declareResources } from "../../src/scim/scimmy/setup.js";

/**
 * The attribute table is the one place that knows a user attribute. These tests walk every row
 * through each consumer, so a row added to the table is covered without touching them.
 */
const valueOf = (key: StorableAttribute) => (key === "manager" ? "42" : `${key}-value`);

/** The body an IdP would send for one storable attribute, in SHOUTING case to test casing. */
function bodyWith(key: StorableAttribute): Record<string, unknown> {
  const row = STORABLE_ROWS.find((r) => r.key === key)!;
  const value = key === "manager" ? { VALUE: valueOf(key) } : valueOf(key);
  const base = { USERNAME: "row@example.com" };
  return row.schema === ENTERPRISE_USER ? { ...base, [ENTERPRISE_USER]: { [key.toUpperCase()]: value } } : { ...base, [key.toUpperCase()]: value };
}

/** A customer as BigCommerce returns it, unassigned strings empty. */
function customerWith(extra: Partial<Customer>): Customer {
  return {
    id: 5,
    email: "row@example.com",
    first_name: "R",
    last_name: "W",
    company: "",
    phone: "",
    notes: "",
    tax_exempt_category: "",
    customer_group_id: 0,
    channel_ids: null,
    date_created: "2024-01-01T00:00:00Z",
    date_modified: "2024-01-01T00:00:00Z",
    ...extra,
  } as Customer;
}

describe("the attribute table", () => {
  it("spells every attribute canonically (USER_SHAPE holds every row)", () => {
    for (const row of USER_ATTRIBUTES) {
      const holder = row.schema === "urn:ietf:params:scim:schemas:core:2.0:User" ? USER_SHAPE : subShape(USER_SHAPE, row.schema)!;
      const [parent, sub] = row.path.split(".") as [string, string | undefined];
      expect(canonicalName(holder, parent.toUpperCase()), row.path).toBe(parent);
      if (sub !== undefined) expect(canonicalName(subShape(holder, parent)!, sub.toLowerCase()), row.path).toBe(sub);
    }
  });

  it("places every storable attribute in exactly one schema, with its own customer-attribute name", () => {
    const manager: readonly string[] = ["manager"];
    expect([...CORE_STORABLE, ...ENTERPRISE_STORABLE, ...manager].sort()).toEqual(STORABLE_ROWS.map((r) => r.key).sort());
    const names = Object.values(BRIDGE_ATTRIBUTE_NAMES);
    expect(new Set(names).size).toBe(names.length);
    for (const row of STORABLE_ROWS) expect(BRIDGE_ATTRIBUTE_NAMES[row.key]).toBe(row.attribute);
  });

  it("names every mapped BigCommerce field by its SCIM attribute in error messages", () => {
    for (const row of USER_ATTRIBUTES) {
      if (row.storage.kind !== "field") continue;
      expect(ATTRIBUTE_OF_CUSTOMER_FIELD[row.storage.field]).toBe(scimNameOf(row));
      expect(scimAttributeForField(`0.${row.storage.field}`)).toBe(scimNameOf(row));
    }
  });

  describe.each(STORABLE_ROWS.map((r) => r.key))("storable row %s, end to end through the mapping", (key) => {
    const doc = () => parseUserDocument(normaliseUserBody(bodyWith(key)));

    it("is written to its customer attribute when stored, and not otherwise", () => {
      expect(userChangeFromDocument(doc(), { mode: "create", storedAttributes: [key] }).attributes[key]).toBe(valueOf(key));
      expect(userChangeFromDocument(doc(), { mode: "create", storedAttributes: [] }).attributes[key]).toBeUndefined();
    });

    it("is cleared by a PUT that leaves it out", () => {
      const put = withPutDefaults(parseUserDocument({ userName: "row@example.com" }), [key]);
      expect(userChangeFromDocument(put, { mode: "replace", storedAttributes: [key] }).attributes[key]).toBeNull();
    });

    it("is read back into the User where the request put it", () => {
      const catalog = new AttributeCatalog(new Map<BridgeAttributeKey, number>([[key, 31]]));
      const customer = customerWith({ attributes: [{ id: 9, attribute_id: 31, attribute_value: valueOf(key), customer_id: 5 }] } as Partial<Customer>);
      const view = (stored: StorableAttribute[]) =>
        userFromCustomer(customer, { catalog, storedAttributes: stored, groupName: () => undefined, baseUrl: "/scim/v2", parkingGroupId: null });
      const row = STORABLE_ROWS.find((r) => r.key === key)!;
      const holderOf = (u: Record<string, unknown>) => (row.schema === ENTERPRISE_USER ? (u[ENTERPRISE_USER] as Record<string, unknown> | undefined) : u);
      const shown = holderOf(view([key]))?.[key];
      expect(key === "manager" ? (shown as { value: string }).value : shown).toBe(valueOf(key));
      expect(holderOf(view([]))?.[key]).toBeUndefined();
    });
  });

  it("says how every mapped field is translated; the plain copies are exactly COPIED_FIELD_ROWS", () => {
    const copies = USER_ATTRIBUTES.filter((r) => r.storage.kind === "field" && r.storage.translation === "copy");
    expect(copies.map((r) => `${r.schema}:${r.path}`)).toEqual(COPIED_FIELD_ROWS.map((r) => `${r.schema}:${r.key}`));
    for (const row of USER_ATTRIBUTES) {
      if (row.storage.kind === "field") expect(["copy", "custom"], row.path).toContain(row.storage.translation);
    }
  });

  // Widened: the walk must hold for any row, core ones included.
  const copiedRows: readonly { key: string; schema: string; field: string; maxLength?: number; description?: string }[] = COPIED_FIELD_ROWS;
  describe.each(copiedRows.map((r) => [r.key, r] as const))("copied field %s, end to end through the mapping", (key, row) => {
    const scimName = row.schema === CORE_USER ? key : `${row.schema}:${key}`;
    const value = `${key} value`;
    /** A body carrying the attribute (SHOUTING case, to test casing), or its holder. */
    const bodyWith = (v: unknown) =>
      row.schema === CORE_USER ? { USERNAME: "row@example.com", [key.toUpperCase()]: v } : { USERNAME: "row@example.com", [row.schema]: { [key.toUpperCase()]: v } };
    const fields = (body: Record<string, unknown>, mode: "create" | "replace" = "replace") =>
      userChangeFromDocument(parseUserDocument(normaliseUserBody(body)), { mode, storedAttributes: [] }).fields as Record<string, unknown>;

    it("is copied to its customer field, and sent in the create body", () => {
      const created = fields(bodyWith(value), "create");
      expect(created[row.field]).toBe(value);
      expect(copiedCreateFields(created)).toMatchObject({ [row.field]: value });
    });

    it("absent leaves the field as it is; null (or its extension removed) writes BigCommerce's unassigned value", () => {
      expect(fields({ userName: "row@example.com" })).not.toHaveProperty(row.field);
      expect(fields(bodyWith(null))[row.field]).toBe("");
      if (row.schema !== CORE_USER) expect(fields({ userName: "row@example.com", [row.schema]: null })[row.field]).toBe("");
      // A new customer has the unassigned value already.
      expect(copiedCreateFields(fields(bodyWith(null), "create"))).not.toHaveProperty(row.field);
    });

    it("is cleared by a PUT that leaves it out, except in the BigCommerce extension", () => {
      const put = withPutDefaults(parseUserDocument({ userName: "row@example.com" }), []);
      const f = userChangeFromDocument(put, { mode: "replace", storedAttributes: [] }).fields as Record<string, unknown>;
      expect(f[row.field]).toBe(row.schema === BIGCOMMERCE_CUSTOMER ? undefined : "");
    });

    it("is refused, naming the attribute, when longer than BigCommerce's limit", () => {
      const max = row.maxLength;
      if (max === undefined) return;
      expect(fields(bodyWith("x".repeat(max)))[row.field]).toBe("x".repeat(max));
      expect(() => fields(bodyWith("x".repeat(max + 1)))).toThrow(`'${scimName}' is ${max + 1} characters long`);
    });

    it("is read back where the request put it; the unassigned value is left out", () => {
      const view = (customer: Customer) =>
        userFromCustomer(customer, { catalog: new AttributeCatalog(new Map()), storedAttributes: [], groupName: () => undefined, baseUrl: "/scim/v2", parkingGroupId: null });
      const holderOf = (u: Record<string, unknown>) => (row.schema === CORE_USER ? u : (u[row.schema] as Record<string, unknown> | undefined));
      expect(holderOf(view(customerWith({ [row.field]: value })))?.[key]).toBe(value);
      expect(holderOf(view(customerWith({ [row.field]: "" })))?.[key]).toBeUndefined();
    });

    it("is advertised by /Schemas with the row's description", () => {
      declareResources();
      const schema = new Discovery({ storedAttributes: [], maxResults: 100 }).schema("/scim/v2", row.schema);
      const advertised = schema.attributes.find((a) => a.name === key);
      expect(advertised, scimName).toBeDefined();
      if (row.description !== undefined) expect(advertised!.description).toBe(row.description);
    });
  });
});
