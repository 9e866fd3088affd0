import { describe, expect, it } from "vitest";
import { normaliseUserBody } from "../../src/scim/normalise/user-body.js";
import { parseUserDocument } from "../../src/mapping/user-document.js";
import { userChangeFromDocument, deriveNames, withPutDefaults } from "../../src/mapping/user-to-customer.js";

const ENT = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const BC = "urn:ietf:params:scim:schemas:extension:bigcommerce:2.0:Customer";
const stored = ["title", "department", "employeeNumber", "manager"] as const;
const change = (body: Record<string, unknown>, mode: "create" | "replace" = "create", currentEmail?: string) =>
  userChangeFromDocument(parseUserDocument(normaliseUserBody(body)), { mode, storedAttributes: stored, ...(currentEmail ? { currentEmail } : {}) });

describe("IdP quirk normaliser and mapping", () => {
  it("accepts OneLogin's single-object emails, string booleans, id null, managerId", () => {
    const c = change({
      id: null,
      userName: "ol@x.test",
      active: "false",
      emails: { value: "ol@x.test", primary: "true" },
      [ENT]: { manager: { managerId: "42" } },
    });
    expect(c.active).toBe(false);
    expect(c.fields.email).toBe("ol@x.test");
    expect(c.attributes.manager).toBe("42");
  });

  it("accepts capitalised attribute names (Microsoft's Postman collection)", () => {
    const c = change({ UserName: "p@x.test", Active: "True", Name: { GivenName: "P", FamilyName: "Q" }, [ENT]: { Department: "D", Manager: { Value: "5" } } });
    expect(c.fields).toMatchObject({ email: "p@x.test", first_name: "P", last_name: "Q" });
    expect(c.attributes).toMatchObject({ department: "D", manager: "5" });
  });

  it("drops null multi-valued attributes of older Entra payloads", () => {
    const c = change({ userName: "e@x.test", phoneNumbers: null, addresses: null, title: null, roles: [] });
    expect(c.fields.phone).toBe("");
  });

  it("derives the names BigCommerce requires, never sending an empty string", () => {
    expect(deriveNames("Ada Lovelace King", "x@y.z")).toEqual({ first: "Ada Lovelace", last: "King" });
    expect(deriveNames(undefined, "john.smith@x.test")).toEqual({ first: "john", last: "smith" });
    expect(deriveNames("", "solo@x.test")).toEqual({ first: "solo", last: "solo" });
    expect(change({ userName: "n@x.test", name: { givenName: "" } }).fields).toMatchObject({ first_name: "n", last_name: "n" });
  });

  it("refuses values BigCommerce would refuse, naming the SCIM attribute", () => {
    expect(() => change({ userName: `${"a".repeat(245)}@x.test` })).toThrow(/userName/);
    expect(() => change({ userName: "x@x.test", name: { givenName: "g".repeat(101) } })).toThrow(/name.givenName/);
    expect(() => change({ userName: "x@x.test", phoneNumbers: [{ value: "1".repeat(51) }] })).toThrow(/phoneNumbers/);
    expect(() => change({ userName: "not-an-email" })).toThrow(/email/);
    expect(() => change({ userName: "x@x.test", [BC]: { channelIds: [] } })).toThrow(/channelIds/);
    expect(() => change({ name: { givenName: "x" } })).toThrow(/userName/);
  });

  it("email-only change moves the userName; when both change userName wins", () => {
    const patchOfEmails = userChangeFromDocument(parseUserDocument(normaliseUserBody({ userName: "old@x.test", emails: [{ value: "new@x.test", primary: true }] })), {
      mode: "replace",
      currentEmail: "old@x.test",
      userNameSent: false,
      storedAttributes: stored,
    });
    expect(patchOfEmails.fields.email).toBe("new@x.test");
    // A userName the request carries (a PUT) wins even when it is the current one.
    expect(change({ userName: "old@x.test", emails: [{ value: "new@x.test", primary: true }] }, "replace", "old@x.test").fields.email).toBe("old@x.test");
    expect(change({ userName: "un@x.test", emails: [{ value: "em@x.test", primary: true }] }, "replace", "old@x.test").fields.email).toBe("un@x.test");
  });

  it("PUT clears mapped attributes it leaves out, but keeps active and the BigCommerce extension", () => {
    const doc = withPutDefaults(parseUserDocument(normaliseUserBody({ userName: "p@x.test" })), stored);
    const c = userChangeFromDocument(doc, { mode: "replace", currentEmail: "p@x.test", storedAttributes: stored });
    expect(c.fields.phone).toBe("");
    expect(c.fields.company).toBe("");
    expect(c.attributes).toMatchObject({ externalId: null, title: null, department: null, manager: null });
    expect(c.active).toBeUndefined();
    expect(c.fields.customer_group_id).toBeUndefined();
    expect(c.fields.channel_ids).toBeUndefined();
  });
});
