import { describe, expect, it } from "vitest";
import { createUser, ENT, store, useBridge } from "./helpers.js";

/** Findings of an RFC checker run (issue 18, item 4), judged by BigCommerce's state. */
describe("what cannot be removed, and what the server sets", () => {
  const b = useBridge();

  it("refuses (400 mutability, nothing changed) a PATCH that removes emails or name", async () => {
    const user = await createUser(b.api, "keep@example.com");
    for (const op of [
      { op: "remove", path: "emails" },
      { op: "remove", path: 'emails[type eq "work"]' },
      { op: "remove", path: "name" },
      { op: "remove", path: "name.givenName" },
      { op: "Replace", path: "name.familyName", value: "" },
    ]) {
      const res = await b.api.patch(`/Users/${user.id}`, [op]);
      expect(res.status, JSON.stringify(op)).toBe(400);
      expect(res.body.scimType).toBe("mutability");
    }
    const customer = store(b).customers.get(Number(user.id))!;
    expect([customer.email, customer.first_name, customer.last_name]).toEqual(["keep@example.com", "Given", "Family"]);
  });

  it("still removes what can be removed in the same shapes (a phone number, a name part the bridge derives)", async () => {
    const user = await createUser(b.api, "phone@example.com", { phoneNumbers: [{ value: "555", type: "work" }] });
    // A filtered remove really removes (it used to match and leave the value in place).
    const res = await b.api.patch(`/Users/${user.id}`, [{ op: "remove", path: 'phoneNumbers[type eq "work"]' }, { op: "remove", path: "name.formatted" }]);
    expect(res.status).toBe(200);
    expect(store(b).customers.get(Number(user.id))!.phone).toBe("");
  });

  it("builds manager.$ref only from a real user id", async () => {
    const manager = await createUser(b.api, "boss@example.com");
    const withId = await createUser(b.api, "report@example.com", { [ENT]: { manager: { value: manager.id } } });
    expect((withId[ENT] as { manager: unknown }).manager).toEqual({ value: manager.id, $ref: `${b.url}/scim/v2/Users/${manager.id}` });
    for (const value of ["../Groups/1", "007", "boss@example.com", "99999999999"]) {
      const other = await b.api.patch(`/Users/${withId.id}`, [{ op: "replace", path: "manager", value }]);
      expect(other.status).toBe(200);
      expect(other.body[ENT].manager, value).toEqual({ value });
    }
  });

  it("declares Group members.display readOnly in /Schemas", async () => {
    const group = (await b.api.get("/Schemas/urn:ietf:params:scim:schemas:core:2.0:Group")).body;
    const members = group.attributes.find((a: { name: string }) => a.name === "members");
    expect(members.subAttributes.find((s: { name: string }) => s.name === "display").mutability).toBe("readOnly");
  });
});
