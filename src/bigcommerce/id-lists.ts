/**
 * Run-time validation of the id lists that reach a DELETE. The `NonEmpty<CustomerId>` type
 * already forbids an empty list at compile time, but casts, `as` and untyped callers exist:
 * a delete is permanent and BigCommerce treats a missing or empty `id:in` as "no filter", so
 * the list is checked again here, before any network I/O, and anything odd is refused whole.
 */
import { toCustomerId } from "./ids.js";
import { InvalidQueryError } from "./errors.js";

/**
 * Returns the ids as plain numbers in the caller's order, or throws InvalidQueryError when the
 * list is not an array of 1..max distinct positive int32 ids.
 */
export function validateIdList(ids: unknown, max: number, what: string): number[] {
  if (!Array.isArray(ids)) throw new InvalidQueryError(`${what}: ids must be an array`);
  if (ids.length === 0) throw new InvalidQueryError(`${what}: refusing to send an empty id list`);
  if (ids.length > max) throw new InvalidQueryError(`${what}: at most ${max} ids per call, got ${ids.length}`);
  const seen = new Set<number>();
  const out: number[] = [];
  for (const raw of ids as unknown[]) {
    // Only numbers: a string id here means the caller skipped its own parsing.
    const parsed = typeof raw === "number" ? toCustomerId(raw) : null;
    if (parsed === null) throw new InvalidQueryError(`${what}: ${describe(raw)} is not a positive int32 id`);
    if (seen.has(parsed)) throw new InvalidQueryError(`${what}: id ${parsed} appears twice`);
    seen.add(parsed);
    out.push(parsed);
  }
  return out;
}

function describe(value: unknown): string {
  return typeof value === "number" ? String(value) : `a ${typeof value}`;
}
