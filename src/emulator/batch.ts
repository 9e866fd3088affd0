/**
 * The common front of every V3 batch write: the body must be a JSON array of objects, with at
 * most `max` items (413 beyond). Items that are not objects fail the whole request the way the
 * captured PUT `[42]` did: 422 "JSON data is missing or invalid" naming the missing fields.
 */
import { jsonInvalid, tooManyItems } from "./errors.js";
import { isPlainObject } from "./validation.js";

export function batchBody(body: unknown, max: number | undefined, requiredFields: readonly string[]): Record<string, unknown>[] {
  if (!Array.isArray(body)) throw jsonInvalid({ body: "error.expected.jsarray" });
  if (body.length === 0) throw jsonInvalid({ body: "error.minLength" });
  if (max !== undefined && body.length > max) throw tooManyItems(max);
  if (!body.every(isPlainObject)) {
    throw jsonInvalid(Object.fromEntries(requiredFields.map((field) => [field, "error.path.missing"])));
  }
  return body as Record<string, unknown>[];
}
