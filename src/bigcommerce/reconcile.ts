/**
 * Pure rules the batcher uses after a failed or lost batch, when it has re-read the customers
 * and must decide what happened to each item. Kept apart so each rule is unit-tested alone.
 */
import type { Customer, CustomerCreate, CustomerUpdate } from "./api.js";
import type { FieldError } from "./errors.js";

/**
 * Was this existing customer created by our own (possibly lost) POST of `sent`? It must have
 * been created no earlier than our first attempt (minus a tolerance for the clock difference
 * between us and BigCommerce, and the whole-second resolution of `date_created`), and carry the
 * names we sent. Anything else pre-existed: the item is a duplicate.
 */
export function createdByOurAttempt(
  existing: Customer,
  sent: Pick<CustomerCreate, "first_name" | "last_name">,
  firstAttemptAt: number,
  toleranceMs: number,
): boolean {
  const created = Date.parse(existing.date_created);
  if (Number.isNaN(created)) return false;
  const threshold = Math.floor(firstAttemptAt / 1000) * 1000 - toleranceMs;
  return created >= threshold && existing.first_name === sent.first_name && existing.last_name === sent.last_name;
}

function sameIds(a: readonly number[] | null | undefined, b: readonly number[] | null | undefined): boolean {
  if (a === null || a === undefined || b === null || b === undefined) return (a ?? null) === (b ?? null);
  if (a.length !== b.length) return false;
  const sa = [...a].sort((x, y) => x - y);
  const sb = [...b].sort((x, y) => x - y);
  return sa.every((v, i) => v === sb[i]);
}

/**
 * Does the re-read customer already show every change of `update`? Then a PUT whose answer was
 * lost did happen (or was a no-op) and need not be sent again. A password cannot be read back,
 * so an update that sets one is never considered applied.
 */
export function updateApplied(current: Customer, update: CustomerUpdate): boolean {
  for (const [key, value] of Object.entries(update)) {
    if (key === "id" || value === undefined) continue;
    if (key === "authentication") {
      const auth = value as { force_password_reset?: boolean; new_password?: string };
      if (auth.new_password !== undefined) return false;
      if (
        auth.force_password_reset !== undefined &&
        current.authentication?.force_password_reset !== auth.force_password_reset
      ) {
        return false;
      }
      continue;
    }
    if (key === "channel_ids") {
      if (!sameIds(current.channel_ids, value as number[] | null)) return false;
      continue;
    }
    const actual = (current as unknown as Record<string, unknown>)[key];
    if (typeof value === "object" && value !== null) return false; // nothing else we send is structured
    if (actual !== value) return false;
  }
  return true;
}

/** BigCommerce's words for "this email belongs to another customer". */
export function isDuplicateEmailMessage(message: string): boolean {
  return /already in use|already exists|already taken|is taken|duplicate|not unique|unique/i.test(message);
}

/** Splits a 422's field errors into those that name a batch index and those that do not. */
export function groupByIndex(fields: readonly FieldError[]): {
  byIndex: Map<number, FieldError[]>;
  unindexed: FieldError[];
} {
  const byIndex = new Map<number, FieldError[]>();
  const unindexed: FieldError[] = [];
  for (const field of fields) {
    if (field.index === undefined) {
      unindexed.push(field);
      continue;
    }
    const list = byIndex.get(field.index) ?? [];
    list.push(field);
    byIndex.set(field.index, list);
  }
  return { byIndex, unindexed };
}

/** A batch index means nothing to the caller of a single-item API: drop it. */
export function withoutIndex(fields: readonly FieldError[]): FieldError[] {
  return fields.map(({ field, message }) => ({ field, message }));
}
