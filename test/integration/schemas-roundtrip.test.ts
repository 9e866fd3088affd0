import { beforeAll, describe, expect, it } from "vitest";
import { BC, CORE, ENT, store, useBridge } from "./helpers.js";

/**
 * /Schemas advertises only what is stored and read back (issue 7 item 10): write every
 * attribute it says a client may set, read the user back, and find every value again.
 */
interface AttributeDefinition {
  name: string;
  type: string;
  multiValued: boolean;
  mutability: string;
  uniqueness?: string;
  subAttributes?: AttributeDefinition[];
}

let groupId: number;
const b = useBridge();
beforeAll(async () => {
  groupId = store(b).groups.insert({ name: "Roundtrip" }).id;
});

const EMAIL = "roundtrip@x.test";
const writable = (a: AttributeDefinition) => a.mutability === "readWrite" || a.mutability === "writeOnly";

/** A value a client could send for this attribute, different from what a new customer has. */
function sample(path: string, a: AttributeDefinition): unknown {
  switch (path) {
    case "userName":
    case "emails.value":
      return EMAIL;
    case "phoneNumbers.value":
      return "+1 555 0199";
    case "phoneNumbers.type":
      return "mobile";
    case "password":
      return "Roundtrip-pass-1";
    case "active":
      return false;
    case "customerGroupId":
      return groupId;
    case "channelIds":
      return [1];
  }
  if (a.type === "boolean") return true;
  if (a.type === "integer") return 7;
  return `${path}-value`;
}

function build(path: string, a: AttributeDefinition): unknown {
  if (a.type === "complex") {
    const element = Object.fromEntries(
      (a.subAttributes ?? []).filter(writable).map((sub) => [sub.name, build(`${path}.${sub.name}`, sub)]),
    );
    return a.multiValued ? [element] : element;
  }
  return sample(path, a);
}

describe("/Schemas tells the truth about what is stored", () => {
  it("every attribute advertised as settable is written and read back", async () => {
    const all = (await b.api.get("/Schemas")).body.Resources as { id: string; attributes: AttributeDefinition[] }[];
    const body: Record<string, unknown> = { schemas: [CORE, ENT, BC] };
    const expected: { schema: string; name: string; value: unknown; writeOnly: boolean }[] = [];
    for (const schema of [CORE, ENT, BC]) {
      const definition = all.find((d) => d.id === schema)!;
      const holder = schema === CORE ? body : ((body[schema] = {}) as Record<string, unknown>);
      for (const a of definition.attributes.filter(writable)) {
        const value = build(a.name, a);
        holder[a.name] = value;
        expected.push({ schema, name: a.name, value, writeOnly: a.mutability === "writeOnly" });
      }
    }
    const created = await b.api.post("/Users", body);
    expect(created.status).toBe(201);
    const read = (await b.api.get(`/Users/${created.body.id}`)).body as Record<string, unknown>;
    const missing: string[] = [];
    for (const e of expected) {
      const holder = (e.schema === CORE ? read : read[e.schema]) as Record<string, unknown> | undefined;
      const got = holder?.[e.name];
      if (e.writeOnly) {
        if (got !== undefined) missing.push(`${e.name} is write-only but was returned`);
        continue;
      }
      const ok = Array.isArray(e.value)
        ? Array.isArray(got) && e.value.every((v, i) => (typeof v === "object" ? expect.objectContaining(v as object).asymmetricMatch(got[i]) : got[i] === v))
        : typeof e.value === "object"
          ? expect.objectContaining(e.value as object).asymmetricMatch(got)
          : got === e.value;
      if (!ok) missing.push(`${e.schema === CORE ? "" : `${e.schema}:`}${e.name} sent ${JSON.stringify(e.value)}, read ${JSON.stringify(got)}`);
    }
    expect(missing).toEqual([]);
    expect(store(b).customers.checkPassword(Number(created.body.id), "Roundtrip-pass-1")).toBe(false); // created inactive: locked
  });

  it("attributes that are never stored are not advertised as settable", async () => {
    const core = (await b.api.get(`/Schemas/${CORE}`)).body.attributes as AttributeDefinition[];
    const sub = (attr: string, name: string) => core.find((a) => a.name === attr)!.subAttributes!.find((x) => x.name === name);
    expect(sub("emails", "display")).toBeUndefined();
    expect(sub("phoneNumbers", "display")).toBeUndefined();
    expect(sub("emails", "type")!.mutability).toBe("readOnly");
    expect(sub("emails", "primary")!.mutability).toBe("readOnly");
    expect(sub("phoneNumbers", "primary")!.mutability).toBe("readOnly");
    const group = (await b.api.get("/Schemas/urn:ietf:params:scim:schemas:core:2.0:Group")).body.attributes as AttributeDefinition[];
    expect(group.find((a) => a.name === "displayName")!.uniqueness).toBe("server");
  });
});
