/** A JSON object as SCIM bodies are handled here: a plain record of unknown values. */
export type Json = Record<string, unknown>;

export const isPlainObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
