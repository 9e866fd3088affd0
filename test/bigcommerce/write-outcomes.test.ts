/**
 * The pure per-item outcome functions of the keyed write queue: what a re-read after a failed
 * or lost batch means for each create and update. (The queue around them is tested through the
 * public API in batcher.test.ts.)
 */
import { describe, expect, it } from "vitest";
import type { Customer, CustomerId, CustomerUpdate } from "../../src/bigcommerce/api.js";
import { createOutcome, type CreateContext, needsMemory } from "../../src/bigcommerce/create-batcher.js";
import { ConflictError, NotFoundError, UpstreamUnavailableError } from "../../src/bigcommerce/errors.js";
import type { WriteOutcome } from "../../src/bigcommerce/keyed-write-queue.js";
import { updateOutcome } from "../../src/bigcommerce/update-batcher.js";
import { ann } from "./helpers/customer.js";

const cause = new UpstreamUnavailableError("socket closed");
const storeDown = new Error("store down");

/** The outcome in one word: resolve (with customer 7), innocent, or the rejection's class or message. */
function summary(outcome: WriteOutcome): string {
  if (outcome.kind === "resolve") return `resolve ${outcome.customer.id}`;
  if (outcome.kind === "innocent") return "innocent";
  const error = outcome.error as Error;
  if (error instanceof ConflictError || error instanceof NotFoundError) {
    expect(error.cause).toBe(cause);
    return error.constructor.name;
  }
  return error.message;
}

describe("createOutcome", () => {
  const sent = { email: "ann@example.com", first_name: "Ann", last_name: "Lee" };
  const ourAttempt = Date.parse("2025-01-01T10:00:05.900Z");
  const before = ourAttempt - 3 * 3_600_000; // an earlier attempt, three hours before this one
  const base: CreateContext = { attributed: new Set(), firstAttemptAt: ourAttempt, toleranceMs: 2000, remembered: undefined, cause };
  const older = { ...ann, date_created: "2025-01-01T08:00:00Z" }; // between the two attempts
  const rememberedFrom = (firstAttemptAt: number, first_name = "Ann") => ({ first_name, last_name: "Lee", firstAttemptAt });

  it.each<[string, Customer | undefined, Partial<CreateContext>, string, boolean]>([
    // name, customer found, context, outcome, memory needed
    ["nothing under the email: not written, may go again", undefined, {}, "innocent", false],
    ["created since our attempt with our names: ours", ann, {}, "resolve 7", false],
    ["already handed to another caller: someone else's", ann, { attributed: new Set([7]) }, "ConflictError", false],
    ["other names: pre-existing", { ...ann, first_name: "Anne" }, {}, "ConflictError", true],
    ["created before our attempt, nothing remembered", older, {}, "ConflictError", true],
    ["created before our attempt, remembered by an earlier attempt", older, { remembered: rememberedFrom(before) }, "resolve 7", true],
    ["remembered with other names", older, { remembered: rememberedFrom(before, "Anna") }, "ConflictError", true],
    ["predates even the remembered attempt", { ...older, date_created: "2020-01-01T00:00:00Z" }, { remembered: rememberedFrom(before) }, "ConflictError", true],
    ["the memory could not be asked: its error, not a guessed 409", older, { remembered: { failed: storeDown } }, "store down", true],
    ["handed out while the memory was asked: someone else's", older, { attributed: new Set([7]), remembered: rememberedFrom(before) }, "ConflictError", false],
  ])("%s", (_name, found, context, outcome, memory) => {
    expect(summary(createOutcome(sent, found, { ...base, ...context }))).toBe(outcome);
    expect(needsMemory(sent, found, { ...base, ...context })).toBe(memory);
  });

  it("tolerates BigCommerce's clock being behind by the tolerance", () => {
    const behind = { ...ann, date_created: "2025-01-01T10:00:03Z" };
    expect(summary(createOutcome(sent, behind, base))).toBe("resolve 7");
    expect(summary(createOutcome(sent, behind, { ...base, toleranceMs: 1000 }))).toBe("ConflictError");
  });
});

describe("updateOutcome", () => {
  const id = 7 as CustomerId;
  it.each<[string, Customer | undefined, CustomerUpdate, string]>([
    ["the id is gone", undefined, { id, company: "x" }, "NotFoundError"],
    ["every change reads back: applied", { ...ann, company: "x" }, { id, company: "x" }, "resolve 7"],
    ["a change does not read back: not applied, may go again", ann, { id, company: "x" }, "innocent"],
    ["a password never reads back", ann, { id, authentication: { new_password: "secret12" } }, "innocent"],
  ])("%s", (_name, found, update, outcome) => {
    expect(summary(updateOutcome(update, found, { cause }))).toBe(outcome);
  });
});
