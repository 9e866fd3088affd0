/** A value Redis holds as JSON text; text that is not JSON reads as undefined (the callers' zod schemas then refuse it). */
export function parseStoredJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}
