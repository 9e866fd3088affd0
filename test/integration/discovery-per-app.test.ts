import { describe, expect, it } from "vitest";
import { CORE, ENT, newUser, useBridge, type UsedBridge } from "./helpers.js";

/**
 * Two bridge apps (two stores' configurations) in ONE process: each advertises the attributes it
 * stores, whichever started first, and every meta.location names the app that answered.
 */
const first = useBridge({ SCIM_STORED_ATTRIBUTES: "title,department" });
const second = useBridge({ SCIM_STORED_ATTRIBUTES: "nickName,costCenter,manager" });

const attributeNames = async (b: UsedBridge, urn: string): Promise<string[]> => {
  const res = await b.api.get(`/Schemas/${urn}`);
  expect(res.status).toBe(200);
  return res.body.attributes.map((a: { name: string }) => a.name);
};

describe("discovery is per app", () => {
  it("each app's /Schemas advertises its own SCIM_STORED_ATTRIBUTES", async () => {
    const firstCore = await attributeNames(first, CORE);
    const secondCore = await attributeNames(second, CORE);
    expect(firstCore).toContain("title");
    expect(firstCore).not.toContain("nickName");
    expect(secondCore).toContain("nickName");
    expect(secondCore).not.toContain("title");

    const firstEnt = await attributeNames(first, ENT);
    const secondEnt = await attributeNames(second, ENT);
    expect(firstEnt).toEqual(expect.arrayContaining(["organization", "department"]));
    for (const absent of ["costCenter", "manager", "employeeNumber", "division"]) expect(firstEnt).not.toContain(absent);
    expect(secondEnt).toEqual(expect.arrayContaining(["organization", "costCenter", "manager"]));
    for (const absent of ["department", "employeeNumber", "division"]) expect(secondEnt).not.toContain(absent);

    // The list answer agrees with the single-schema answer.
    const list = await second.api.get("/Schemas");
    const ent = list.body.Resources.find((r: { id: string }) => r.id === ENT);
    expect(ent.attributes.map((a: { name: string }) => a.name)).toEqual(secondEnt);
  });

  it("what an app advertises is what it stores", async () => {
    const created = await second.api.post(
      "/Users",
      newUser("per-app-discovery@example.com", { nickName: "Nick", title: "Ignored here", [ENT]: { costCenter: "CC-7", department: "Ignored too" } }),
    );
    expect(created.status).toBe(201);
    expect(created.body.nickName).toBe("Nick");
    expect(created.body.title).toBeUndefined();
    expect(created.body[ENT]).toMatchObject({ costCenter: "CC-7" });
    expect(created.body[ENT].department).toBeUndefined();
  });

  it("meta.location of every discovery document names the app that answered", async () => {
    for (const b of [first, second]) {
      const base = `${b.url}/scim/v2`;
      const schemas = await b.api.get("/Schemas");
      for (const s of schemas.body.Resources) expect(s.meta.location).toBe(`${base}/Schemas/${s.id}`);
      const types = await b.api.get("/ResourceTypes");
      for (const t of types.body.Resources) expect(t.meta.location).toBe(`${base}/ResourceTypes/${t.id}`);
      const spc = await b.api.get("/ServiceProviderConfig");
      expect(spc.body.meta.location).toBe(`${base}/ServiceProviderConfig`);
    }
  });

  it("an unknown schema or resource type is a SCIM 404, and discovery refuses filters", async () => {
    const schema = await first.api.get("/Schemas/urn:example:nope");
    expect(schema.status).toBe(404);
    expect(schema.body.schemas).toEqual(["urn:ietf:params:scim:api:messages:2.0:Error"]);
    expect((await first.api.get("/ResourceTypes/Nope")).status).toBe(404);
    expect((await first.api.get('/Schemas?filter=id eq "x"')).status).toBe(403);
  });
});
