import { describe, expect, it } from "vitest";
import { BC, ENT, useBridge } from "./helpers.js";

const b = useBridge();

describe("discovery tells the truth", () => {
  it("ServiceProviderConfig: PATCH, filter and password changes yes; ETag yes; bulk no", async () => {
    const res = await b.api.get("/ServiceProviderConfig");
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      schemas: ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
      patch: { supported: true },
      bulk: { supported: false },
      filter: { supported: true, maxResults: 250 },
      changePassword: { supported: true },
      sort: { supported: true },
      etag: { supported: true },
    });
    expect(res.body.authenticationSchemes[0]).toMatchObject({ type: "oauthbearertoken" });
  });

  it("ResourceTypes: User with both extensions, and Group", async () => {
    const res = await b.api.get("/ResourceTypes");
    const byId = Object.fromEntries(res.body.Resources.map((r: { id: string }) => [r.id, r]));
    expect(byId.User).toMatchObject({ endpoint: "/Users", schema: "urn:ietf:params:scim:schemas:core:2.0:User" });
    expect(byId.User.schemaExtensions).toEqual(
      expect.arrayContaining([
        { schema: ENT, required: false },
        { schema: BC, required: false },
      ]),
    );
    expect(byId.Group).toMatchObject({ endpoint: "/Groups" });
  });

  it("Schemas advertise what is stored, and explain the one-group rule", async () => {
    const res = await b.api.get("/Schemas");
    const byId = Object.fromEntries(res.body.Resources.map((r: { id: string }) => [r.id, r]));
    const names = (id: string) => byId[id].attributes.map((a: { name: string }) => a.name);
    const core = names("urn:ietf:params:scim:schemas:core:2.0:User");
    expect(core).toEqual(expect.arrayContaining(["userName", "name", "displayName", "emails", "phoneNumbers", "active", "password", "groups", "title"]));
    for (const absent of ["addresses", "ims", "photos", "roles", "entitlements", "x509Certificates", "locale", "nickName"]) expect(core).not.toContain(absent);
    expect(names(ENT)).toEqual(expect.arrayContaining(["organization", "department", "employeeNumber", "manager"]));
    expect(names(ENT)).not.toContain("costCenter");
    expect(names(BC)).toEqual(expect.arrayContaining(["customerGroupId", "channelIds", "notes", "taxExemptCategory"]));
    const members = byId["urn:ietf:params:scim:schemas:core:2.0:Group"].attributes.find((a: { name: string }) => a.name === "members");
    expect(members.description).toMatch(/one BigCommerce customer group: a user in several groups is listed by each/);
    const single = await b.api.get(`/Schemas/${BC}`);
    expect(single.status).toBe(200);
    expect(single.body.id).toBe(BC);
  });

  it("Okta's connection test: GET /Users?startIndex=1&count=2 and GET /Groups?startIndex=1&count=100", async () => {
    const users = await b.api.get("/Users?startIndex=1&count=2");
    expect(users.status).toBe(200);
    expect(users.body.schemas).toEqual(["urn:ietf:params:scim:api:messages:2.0:ListResponse"]);
    const groups = await b.api.get("/Groups?startIndex=1&count=100");
    expect(groups.status).toBe(200);
    expect(groups.body).toMatchObject({ totalResults: 0, Resources: [] });
  });
});
