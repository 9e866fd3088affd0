import { describe, expect, it } from "vitest";
import { InMemoryUnsettledCreates } from "../../src/bigcommerce/unsettled-creates.js";
import { unsettledCreatesContract } from "../support/unsettled-creates-contract.js";

describe("InMemoryUnsettledCreates", () => {
  unsettledCreatesContract(async (memoryMs) => new InMemoryUnsettledCreates(memoryMs));

  it("holds at most `max` records, dropping the oldest", async () => {
    const store = new InMemoryUnsettledCreates(60_000, 2);
    for (const [i, email] of ["a@x.io", "b@x.io", "c@x.io"].entries()) {
      await store.remember(email, { first_name: "A", last_name: "B", firstAttemptAt: i }, 1_000 + i);
    }
    expect(store.size).toBe(2);
    expect(await store.recall("a@x.io", 1_003)).toBeUndefined();
    expect(await store.recall("c@x.io", 1_003)).toBeDefined();
  });
});
