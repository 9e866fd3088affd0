import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { countCalls, createUser, ENT, STORE_HASH, store, useBridge, withBridge, type UsedBridge } from "./helpers.js";

/**
 * SCIM_MAPPING_FILE attributes over HTTP: BigCommerce's attribute values and form fields (the
 * emulator's store) are the judge.
 */
const ACME = "urn:ietf:params:scim:schemas:extension:acme:2.0:User";
const dir = mkdtempSync(join(tmpdir(), "custom-mapping-"));
function mappingFile(doc: unknown, name = "mapping.json"): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(doc));
  return path;
}

const MAPPING = {
  attributes: [
    { scim: `${ACME}:costCenter`, customerAttribute: "Cost center" },
    { scim: `${ACME}:headcount`, customerAttribute: "Headcount", type: "number" },
    { scim: `${ACME}:hireDate`, customerAttribute: "Hire date", type: "date" },
    { scim: `${ENT}:department`, customerAttribute: "Department" },
    { scim: "name.honorificPrefix", customerAttribute: "Salutation" },
    { scim: "title", formField: "Job title" },
    // The store's sign-up form has no such field (BigCommerce refuses the value).
    { scim: "nickName", formField: "Nickname" },
  ],
};
const FORM = [{ name: "Job title", type: "text" as const }];

/** The customer's value of a customer attribute, by the attribute's name ("" or absent = none). */
function valueOf(b: Pick<UsedBridge, "emulator">, customerId: string, attribute: string): string | undefined {
  const def = store(b).attributes.all().find((a) => a.name === attribute);
  if (!def) throw new Error(`no attribute ${attribute}`);
  const value = store(b).attributeValues.find(Number(customerId), def.id)?.attribute_value;
  return value === "" ? undefined : value;
}
const formFieldOf = (b: Pick<UsedBridge, "emulator">, customerId: string, name: string) =>
  store(b).customers.get(Number(customerId))?.form_fields.find((f) => f.name === name)?.value;

describe("mapping file attributes", () => {
  const b = useBridge(
    { SCIM_MAPPING_FILE: mappingFile(MAPPING) },
    {
      emulator: { formFields: FORM },
      // The merchant already has "Department" (a number attribute would keep its type too).
      prepare: (emulator) => void emulator.store(STORE_HASH).attributes.insert({ name: "Department", type: "string" }),
    },
  );

  it("reuses the merchant's attribute (its id and type) and creates the missing ones with the file's type", () => {
    const defs = store(b).attributes.all();
    expect(defs.filter((a) => a.name === "Department")).toHaveLength(1);
    expect(defs.find((a) => a.name === "Department")!.id).toBe(1);
    expect(defs.find((a) => a.name === "Cost center")?.type).toBe("string");
    expect(defs.find((a) => a.name === "Headcount")?.type).toBe("number");
    expect(defs.find((a) => a.name === "Hire date")?.type).toBe("date");
    // The file took department over: the built-in scim_department is not created.
    expect(defs.some((a) => a.name === "scim_department")).toBe(false);
  });

  it("creates, replaces (URN path and no-path forms, any op case) and removes a custom extension attribute", async () => {
    const user = await createUser(b.api, "cc@example.com", { schemas: ["urn:ietf:params:scim:schemas:core:2.0:User", ACME], [ACME]: { costCenter: "CC-1" } });
    expect(valueOf(b, user.id, "Cost center")).toBe("CC-1");
    expect((user[ACME] as Record<string, unknown>).costCenter).toBe("CC-1");

    let res = await b.api.patch(`/Users/${user.id}`, [{ op: "Replace", path: `${ACME}:costCenter`, value: "CC-2" }]);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(valueOf(b, user.id, "Cost center")).toBe("CC-2");

    // Entra's form: no path, URN-qualified keys.
    res = await b.api.patch(`/Users/${user.id}`, [{ op: "replace", value: { [`${ACME}:costCenter`]: "CC-3" } }]);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(valueOf(b, user.id, "Cost center")).toBe("CC-3");

    // Okta's form: no path, the extension as an object.
    res = await b.api.patch(`/Users/${user.id}`, [{ op: "add", value: { [ACME]: { costCenter: "CC-4" } } }]);
    expect(res.status).toBe(200);
    expect(valueOf(b, user.id, "Cost center")).toBe("CC-4");

    const read = await b.api.get(`/Users/${user.id}`);
    expect(read.body[ACME]).toEqual({ costCenter: "CC-4" });
    expect(read.body.schemas).toContain(ACME);
    const filtered = await b.api.get(`/Users?filter=${encodeURIComponent(`${ACME}:costCenter eq "CC-4"`)}`);
    expect(filtered.body.Resources.map((u: { id: string }) => u.id)).toEqual([user.id]);
    const projected = await b.api.get(`/Users/${user.id}?attributes=${encodeURIComponent(`${ACME}:costCenter`)}`);
    expect(projected.body[ACME]).toEqual({ costCenter: "CC-4" });

    res = await b.api.patch(`/Users/${user.id}`, [{ op: "remove", path: `${ACME}:costCenter` }]);
    expect(res.status).toBe(200);
    expect(valueOf(b, user.id, "Cost center")).toBeUndefined();
    expect((await b.api.get(`/Users/${user.id}`)).body[ACME]).toBeUndefined();
  });

  it("costs no call of its own: inline in the create, in the same attribute-value call as a built-in stored attribute", async () => {
    const created = await countCalls(b, () => createUser(b.api, "calls@example.com", { [ACME]: { costCenter: "CC-1" }, [ENT]: { employeeNumber: "1" } }));
    expect(created.calls).toEqual(["POST /v3/customers"]);
    expect(valueOf(b, created.result.id, "Cost center")).toBe("CC-1");
    const id = created.result.id;
    const patched = await countCalls(b, () =>
      b.api.patch(`/Users/${id}`, [
        { op: "replace", path: `${ACME}:costCenter`, value: "CC-2" },
        { op: "replace", path: `${ENT}:employeeNumber`, value: "2" },
      ]),
    );
    expect(patched.result.status).toBe(200);
    expect(patched.calls.filter((c) => !c.startsWith("GET"))).toEqual(["PUT /v3/customers/attribute-values"]);
    expect([valueOf(b, id, "Cost center"), valueOf(b, id, "scim_employee_number")]).toEqual(["CC-2", "2"]);
  });

  it("converts number and date values and refuses (400 invalidValue, nothing written) what does not convert", async () => {
    const user = await createUser(b.api, "num@example.com", { [ACME]: { headcount: "12", hireDate: "2024-03-01T09:30:00Z" } });
    expect(valueOf(b, user.id, "Headcount")).toBe("12");
    expect(valueOf(b, user.id, "Hire date")).toBe("2024-03-01");
    expect(user[ACME]).toEqual({ headcount: 12, hireDate: "2024-03-01T00:00:00Z" });

    for (const value of [{ headcount: "a dozen" }, { hireDate: "next monday" }]) {
      const res = await b.api.patch(`/Users/${user.id}`, [{ op: "replace", value: { [ACME]: { ...value, costCenter: "X" } } }]);
      expect(res.status).toBe(400);
      expect(res.body.scimType).toBe("invalidValue");
    }
    expect(valueOf(b, user.id, "Headcount")).toBe("12");
    expect(valueOf(b, user.id, "Cost center")).toBeUndefined();
  });

  it("refuses a string value over 255 characters, never cutting it", async () => {
    const user = await createUser(b.api, "long@example.com");
    const res = await b.api.patch(`/Users/${user.id}`, [{ op: "replace", path: `${ACME}:costCenter`, value: "x".repeat(256) }]);
    expect(res.status).toBe(400);
    expect(res.body.detail).toContain(`${ACME}:costCenter`);
    expect(valueOf(b, user.id, "Cost center")).toBeUndefined();
  });

  it("keeps an enterprise attribute and a core sub-attribute in the attributes the file names", async () => {
    const user = await createUser(b.api, "ent@example.com", { name: { givenName: "A", familyName: "B", honorificPrefix: "Dr." }, [ENT]: { department: "Sales" } });
    expect(valueOf(b, user.id, "Department")).toBe("Sales");
    expect(valueOf(b, user.id, "Salutation")).toBe("Dr.");
    const res = await b.api.patch(`/Users/${user.id}`, [{ op: "replace", path: "name.honorificPrefix", value: "Prof." }]);
    expect(res.status).toBe(200);
    expect(res.body.name.honorificPrefix).toBe("Prof.");
    expect(valueOf(b, user.id, "Salutation")).toBe("Prof.");
    // A PUT that leaves them out removes them (RFC 7644 §3.5.1).
    const put = await b.api.put(`/Users/${user.id}`, { schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"], userName: "ent@example.com", name: { givenName: "A", familyName: "B" } });
    expect(put.status).toBe(200);
    expect(valueOf(b, user.id, "Department")).toBeUndefined();
    expect(valueOf(b, user.id, "Salutation")).toBeUndefined();
  });

  it("writes a form field in the customer's own create and PUT calls (no extra call)", async () => {
    const created = await countCalls(b, () => createUser(b.api, "ff@example.com", { title: "Buyer" }));
    expect(formFieldOf(b, created.result.id, "Job title")).toBe("Buyer");
    expect(created.calls.filter((c) => c.startsWith("POST") || c.startsWith("PUT"))).toEqual(["POST /v3/customers"]);
    expect(created.result.title).toBe("Buyer");

    const id = created.result.id;
    const replaced = await countCalls(b, () => b.api.patch(`/Users/${id}`, [{ op: "replace", path: "title", value: "Head buyer" }, { op: "replace", path: "name.givenName", value: "Ann" }]));
    expect(replaced.result.status).toBe(200);
    expect(formFieldOf(b, id, "Job title")).toBe("Head buyer");
    expect(store(b).customers.get(Number(id))?.first_name).toBe("Ann");
    expect(replaced.calls.filter((c) => !c.startsWith("GET"))).toEqual(["PUT /v3/customers"]);

    const removed = await b.api.patch(`/Users/${id}`, [{ op: "remove", path: "title" }]);
    expect(removed.status).toBe(200);
    expect(formFieldOf(b, id, "Job title")).toBeUndefined();
    expect(removed.body.title).toBeUndefined();
  });

  it("answers 400 with nothing written when BigCommerce refuses a form field (the form lacks it)", async () => {
    const user = await createUser(b.api, "noform@example.com");
    const res = await b.api.patch(`/Users/${user.id}`, [{ op: "replace", value: { nickName: "Bobby", name: { givenName: "Bob" } } }]);
    expect(res.status).toBe(400);
    expect(res.body.scimType).toBe("invalidValue");
    expect(res.body.detail).toContain("Nickname");
    expect(store(b).customers.get(Number(user.id))?.first_name).toBe("Given");
  });

  it("advertises exactly what is mapped in /Schemas and /ResourceTypes", async () => {
    const schemas = (await b.api.get("/Schemas")).body.Resources as { id: string; attributes: { name: string; type: string; subAttributes?: { name: string }[] }[] }[];
    const acme = schemas.find((s) => s.id === ACME)!;
    expect(acme.attributes.map((a) => [a.name, a.type])).toEqual([
      ["costCenter", "string"],
      ["headcount", "decimal"],
      ["hireDate", "dateTime"],
    ]);
    const core = schemas.find((s) => s.id === "urn:ietf:params:scim:schemas:core:2.0:User")!;
    expect(core.attributes.find((a) => a.name === "name")!.subAttributes!.map((s) => s.name)).toContain("honorificPrefix");
    expect(core.attributes.some((a) => a.name === "title")).toBe(true);
    expect(schemas.find((s) => s.id === ENT)!.attributes.some((a) => a.name === "department")).toBe(true);
    expect((await b.api.get(`/Schemas/${ACME}`)).status).toBe(200);
    const user = (await b.api.get("/ResourceTypes/User")).body;
    expect(user.schemaExtensions.map((e: { schema: string }) => e.schema)).toContain(ACME);
    // Discovery is per app: a bridge without the file (in the same process) advertises none of it.
    await withBridge({}, async (own) => {
      const plain = (await own.api.get("/Schemas")).body.Resources as { id: string; attributes: { name: string; subAttributes?: { name: string }[] }[] }[];
      expect(plain.map((s) => s.id)).not.toContain(ACME);
      const plainCore = plain.find((s) => s.id === "urn:ietf:params:scim:schemas:core:2.0:User")!;
      expect(plainCore.attributes.find((a) => a.name === "name")!.subAttributes!.map((s) => s.name)).not.toContain("honorificPrefix");
      expect((await own.api.get("/ResourceTypes/User")).body.schemaExtensions.map((e: { schema: string }) => e.schema)).not.toContain(ACME);
      expect((await own.api.get(`/Schemas/${ACME}`)).status).toBe(404);
    });
  });

  it("warns once per unmapped attribute name and counts every one in /metrics", async () => {
    const lines: string[] = [];
    await withBridge(
      { SCIM_MAPPING_FILE: mappingFile(MAPPING), LOG_LEVEL: "warn" },
      async (own) => {
        for (const email of ["u1@example.com", "u2@example.com"]) {
          await createUser(own.api, email, { userType: "Employee", "urn:ietf:params:scim:schemas:extension:other:2.0:User:badge": "7", [ACME]: { costCenter: "A", floor: "3" } });
        }
        const warned = lines.filter((l) => l.includes("nothing maps")).map((l) => (JSON.parse(l) as { attribute: string }).attribute);
        expect(warned.sort()).toEqual(["userType", `${ACME}:floor`, "urn:ietf:params:scim:schemas:extension:other:2.0:User:badge"].sort());
        const metrics = await fetch(`${own.url}/metrics`, { headers: own.auth }).then((r) => r.text());
        expect(metrics).toContain('scim_unmapped_attributes_total{attribute="userType"} 2');
        expect(metrics).toContain(`scim_unmapped_attributes_total{attribute="${ACME}:floor"} 2`);
      },
      { emulator: { formFields: FORM }, logLines: lines },
    );
  });
});

describe("mapping file errors at start-up", () => {
  it("refuses an attribute the bridge maps itself, naming the entry", async () => {
    await expect(withBridge({ SCIM_MAPPING_FILE: mappingFile({ attributes: [{ scim: "userName", customerAttribute: "Login" }] }, "bad.json") }, async () => undefined)).rejects.toThrow(
      /attributes\[0\]\.scim: userName is mapped by the bridge itself/,
    );
  });

  it("refuses when the store's limit on attribute definitions would be passed", async () => {
    const full = mappingFile({ attributes: [{ scim: `${ACME}:one`, customerAttribute: "One more" }] }, "full.json");
    await expect(
      withBridge({ SCIM_MAPPING_FILE: full }, async () => undefined, {
        prepare: (emulator) => {
          for (let i = 0; i < 45; i++) emulator.store(STORE_HASH).attributes.insert({ name: `merchant ${i}`, type: "string" });
        },
      }),
    ).rejects.toThrow(/allows 50/);
  });

  it("keeps the type of a merchant's attribute that exists (a number stays a number)", async () => {
    const path = mappingFile({ attributes: [{ scim: `${ACME}:level`, customerAttribute: "Level" }] }, "level.json");
    await withBridge(
      { SCIM_MAPPING_FILE: path },
      async (own) => {
        const user = await createUser(own.api, "lvl@example.com", { [ACME]: { level: "3" } });
        expect(user[ACME]).toEqual({ level: 3 });
        const bad = await own.api.patch(`/Users/${user.id}`, [{ op: "replace", path: `${ACME}:level`, value: "three" }]);
        expect(bad.status).toBe(400);
      },
      { prepare: (emulator) => void emulator.store(STORE_HASH).attributes.insert({ name: "Level", type: "number" }) },
    );
  });
});
