import { describe, expect, it } from "vitest";
import { useEmulator, STORE } from "./helpers.js";

const FORM = [
  { name: "Job title", type: "text" as const },
  { name: "Employees", type: "numbers" as const },
  { name: "Size", type: "picklist" as const, options: ["S", "M", "L"] },
];
const { emu, call } = useEmulator({ formFields: FORM });

function customer(formFields: { name: string; value: unknown }[] = []) {
  return emu().store(STORE).customers.insert({ email: "a@x.co", first_name: "A", last_name: "B", form_fields: formFields as never });
}

const formFieldsOf = async (id: number) =>
  ((await call("GET", `/v3/customers?id:in=${id}&include=formfields`)).body.data[0] as { form_fields: unknown[] }).form_fields;

describe("customer form fields (sign-up form fields defined in the control panel)", () => {
  it("PUT /v3/customers upserts the named fields and keeps the others", async () => {
    const c = customer([{ name: "Size", value: "M" }]);
    const reply = await call("PUT", "/v3/customers", { body: [{ id: c.id, form_fields: [{ name: "Job title", value: "Buyer" }] }] });
    expect(reply.status).toBe(200);
    expect(await formFieldsOf(c.id)).toEqual([
      { name: "Size", value: "M", customer_id: c.id },
      { name: "Job title", value: "Buyer", customer_id: c.id },
    ]);
  });

  it("an empty value removes the field's value", async () => {
    const c = customer([{ name: "Job title", value: "Buyer" }, { name: "Size", value: "M" }]);
    expect((await call("PUT", "/v3/customers", { body: [{ id: c.id, form_fields: [{ name: "Job title", value: "" }] }] })).status).toBe(200);
    expect(await formFieldsOf(c.id)).toEqual([{ name: "Size", value: "M", customer_id: c.id }]);
  });

  it("refuses (422, nothing written) a field the form does not have, or a value its type refuses", async () => {
    const c = customer([{ name: "Job title", value: "Buyer" }]);
    for (const field of [
      { name: "Shoe size", value: "42" },
      { name: "Employees", value: "many" },
      { name: "Size", value: "XL" },
      { name: "Job title", value: 7 },
    ]) {
      const reply = await call("PUT", "/v3/customers", { body: [{ id: c.id, email: "new@x.co", form_fields: [field] }] });
      expect(reply.status, JSON.stringify(field)).toBe(422);
      expect(JSON.stringify(reply.body.errors)).toContain("form_fields.0");
    }
    expect(emu().store(STORE).customers.get(c.id)?.email).toBe("a@x.co");
    expect(await formFieldsOf(c.id)).toEqual([{ name: "Job title", value: "Buyer", customer_id: c.id }]);
  });

  it("POST /v3/customers writes form fields of the form and refuses unknown ones", async () => {
    const ok = await call("POST", "/v3/customers", {
      body: [{ email: "n@x.co", first_name: "N", last_name: "M", form_fields: [{ name: "Employees", value: 12 }] }],
    });
    expect(ok.status).toBe(200);
    expect(await formFieldsOf(ok.body.data[0].id)).toEqual([{ name: "Employees", value: 12, customer_id: ok.body.data[0].id }]);
    const bad = await call("POST", "/v3/customers", {
      body: [{ email: "m@x.co", first_name: "N", last_name: "M", form_fields: [{ name: "Nope", value: "x" }] }],
    });
    expect(bad.status).toBe(422);
  });

  it("learns the form through its admin options", async () => {
    const c = customer();
    const admin = await fetch(`${emu().url}/__emulator/options`, {
      method: "PATCH",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ formFields: [{ name: "Region", type: "text" }] }),
    });
    expect(admin.status).toBe(204);
    expect((await call("PUT", "/v3/customers", { body: [{ id: c.id, form_fields: [{ name: "Region", value: "EU" }] }] })).status).toBe(200);
    expect((await call("PUT", "/v3/customers", { body: [{ id: c.id, form_fields: [{ name: "Job title", value: "x" }] }] })).status).toBe(422);
  });
});
