import { describe, expect, it } from "vitest";
import { customerSchema, pageSchema } from "../../src/bigcommerce/schemas.js";

const good = {
  id: 5,
  email: "a@example.com",
  first_name: "A",
  last_name: "B",
  company: "",
  phone: "",
  notes: "",
  tax_exempt_category: "",
  customer_group_id: 0,
  registration_ip_address: "",
  date_created: "2024-01-01T00:00:00Z",
  date_modified: "2024-01-01T00:00:00Z",
  channel_ids: [1],
};
const pagination = { total: 2, count: 2, per_page: 50, current_page: 1, total_pages: 1 };

describe("customerSchema tolerates odd values in fields the bridge does not rely on", () => {
  it("parses a page with one odd record instead of failing the whole page", () => {
    const odd = {
      ...good,
      id: 6,
      email: "odd@example.com",
      channel_ids: "nil",
      authentication: "yes",
      origin_channel_id: "1",
      accepts_product_review_abandoned_cart_emails: "no",
      store_credit_amounts: "0.00",
      attributes: [
        { id: 1, attribute_id: 2, attribute_value: "x", customer_id: 6 },
        { id: "weird", attribute_value: null },
        "nonsense",
      ],
    };
    const result = pageSchema(customerSchema).safeParse({ data: [good, odd], meta: { pagination } });
    expect(result.success).toBe(true);
    const parsed = result.data?.data[1];
    expect(parsed).toMatchObject({ id: 6, channel_ids: null });
    expect(parsed?.authentication).toBeUndefined();
    expect(parsed?.origin_channel_id).toBeUndefined();
    expect(parsed?.accepts_product_review_abandoned_cart_emails).toBeUndefined();
    expect(parsed?.store_credit_amounts).toBeUndefined();
    expect(parsed?.attributes).toEqual([{ id: 1, attribute_id: 2, attribute_value: "x", customer_id: 6 }]);
    expect(result.data?.data[0]?.channel_ids).toEqual([1]);
  });

  it("parses the captured real response with channel_ids \"nil\"", () => {
    // johnhebron/bigcommerce-api-v3 fixture customers/retrieve/200.json, verbatim.
    const body = {
      data: [
        {
          id: 2,
          authentication: { force_password_reset: false },
          company: "",
          customer_group_id: 0,
          email: "dem.oname@demoname.com",
          first_name: "Dem",
          last_name: "Brockett, 0",
          notes: "",
          phone: "4435643434",
          registration_ip_address: "",
          tax_exempt_category: "",
          date_created: "2022-09-11T05:39:18Z",
          date_modified: "2023-01-29T00:34:35Z",
          accepts_product_review_abandoned_cart_emails: true,
          origin_channel_id: 1,
          channel_ids: "nil",
        },
      ],
      meta: { pagination: { total: 1, count: 1, per_page: 50, current_page: 1, total_pages: 1 } },
    };
    const result = pageSchema(customerSchema).safeParse(body);
    expect(result.success).toBe(true);
    expect(result.data?.data[0]).toMatchObject({ id: 2, channel_ids: null, origin_channel_id: 1, authentication: { force_password_reset: false } });
  });

  it("stays strict on id, email, names, group and dates", () => {
    for (const bad of [
      { id: "5" },
      { email: 7 },
      { first_name: null },
      { last_name: undefined },
      { customer_group_id: "2" },
      { date_created: 0 },
      { date_modified: undefined },
    ]) {
      expect(customerSchema.safeParse({ ...good, ...bad }).success, JSON.stringify(bad)).toBe(false);
    }
  });
});

describe("attribute values carry the bridge's state and are read field by field", () => {
  it("keeps a value whose dates or id are odd, and reads a null value as empty", () => {
    const parsed = customerSchema.parse({
      ...good,
      attributes: [
        { id: 3, attribute_id: 7, attribute_value: "false", customer_id: 5, date_modified: 123 },
        { id: "x", attribute_id: 8, attribute_value: null, customer_id: 5 },
        { attribute_value: "orphan" },
      ],
    });
    expect(parsed.attributes).toEqual([
      expect.objectContaining({ id: 3, attribute_id: 7, attribute_value: "false" }),
      expect.objectContaining({ id: 0, attribute_id: 8, attribute_value: "" }),
    ]);
  });
});
