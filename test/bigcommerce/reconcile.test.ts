import { describe, expect, it } from "vitest";
import type { Customer, CustomerId } from "../../src/bigcommerce/api.js";
import { createdByOurAttempt, isDuplicateEmailMessage, updateApplied } from "../../src/bigcommerce/reconcile.js";
import { ann } from "./helpers/customer.js";

const base: Customer = ann;
const id = 7 as CustomerId;

describe("createdByOurAttempt", () => {
  const sent = { email: "ann@example.com", first_name: "Ann", last_name: "Lee" };
  const at = Date.parse("2025-01-01T10:00:05.900Z");
  it("accepts a customer created since our attempt with our names", () => {
    expect(createdByOurAttempt(base, sent, at, 2000)).toBe(true);
  });
  it("tolerates BigCommerce's clock being a little behind (whole seconds)", () => {
    expect(createdByOurAttempt({ ...base, date_created: "2025-01-01T10:00:03Z" }, sent, at, 2000)).toBe(true);
    expect(createdByOurAttempt({ ...base, date_created: "2025-01-01T10:00:02Z" }, sent, at, 2000)).toBe(false);
  });
  it("refuses other names or an unreadable date", () => {
    expect(createdByOurAttempt({ ...base, first_name: "Anne" }, sent, at, 2000)).toBe(false);
    expect(createdByOurAttempt({ ...base, date_created: "yesterday" }, sent, at, 2000)).toBe(false);
  });
});

describe("updateApplied", () => {
  it.each([
    [{ id, first_name: "Ann" }, true],
    [{ id, first_name: "Anna" }, false],
    [{ id, email: "ann@example.com", company: "" }, true],
    [{ id, email: "ANN@example.com" }, false],
    [{ id, channel_ids: null }, true],
    [{ id, channel_ids: [1] }, false],
    [{ id, authentication: { force_password_reset: false } }, true],
    [{ id, authentication: { new_password: "secret12" } }, false],
  ])("%j → %s", (update, expected) => {
    expect(updateApplied(base, update)).toBe(expected);
  });
  it("compares channel ids as sets", () => {
    expect(updateApplied({ ...base, channel_ids: [2, 1] }, { id, channel_ids: [1, 2] })).toBe(true);
  });
});

describe("isDuplicateEmailMessage", () => {
  it.each([
    ["Error creating customers: email a@b.co already in use", true],
    ["The email address is already taken", true],
    ["first_name must not be empty", false],
  ])("%s", (message, expected) => {
    expect(isDuplicateEmailMessage(message)).toBe(expected);
  });
});
