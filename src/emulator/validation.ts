/**
 * Request-body checking in two layers, as BigCommerce reports them:
 * - shape: a value of the wrong JSON type fails the whole request with the Play-framework style
 *   422 "JSON data is missing or invalid" (`{"id": "error.path.missing"}` was observed);
 * - rules: lengths, required fields, references fail with the batch title ("Create customers
 *   failed.") and keys `<index>.<field>` (observed `{"0.id": "invalid customer ID"}`).
 */

export type ErrorMap = Record<string, string>;

export class Problems {
  readonly shape: ErrorMap = {};
  readonly rules: ErrorMap = {};

  shapeError(path: string, code: string): void {
    this.shape[path] ??= code;
  }
  rule(key: string, message: string): void {
    this.rules[key] ??= message;
  }
  get hasShape(): boolean {
    return Object.keys(this.shape).length > 0;
  }
  get hasRules(): boolean {
    return Object.keys(this.rules).length > 0;
  }
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

export type Kind = "string" | "int" | "number" | "boolean" | "object" | "array";

const EXPECTED: Record<Kind, string> = {
  string: "error.expected.jsstring",
  int: "error.expected.jsnumber",
  number: "error.expected.jsnumber",
  boolean: "error.expected.jsboolean",
  object: "error.expected.jsobject",
  array: "error.expected.jsarray",
};

export function hasKind(value: unknown, kind: Kind): boolean {
  switch (kind) {
    case "string":
      return typeof value === "string";
    case "int":
      return Number.isSafeInteger(value);
    case "number":
      return typeof value === "number" && Number.isFinite(value);
    case "boolean":
      return typeof value === "boolean";
    case "object":
      return isPlainObject(value);
    case "array":
      return Array.isArray(value);
  }
}

/**
 * Checks the JSON type of each listed field that is present (absent fields are the rules
 * layer's business). `nullable` fields may also be null.
 */
export function checkKinds(
  problems: Problems,
  item: Record<string, unknown>,
  kinds: Record<string, Kind>,
  prefix = "",
  nullable: readonly string[] = [],
): void {
  for (const [field, kind] of Object.entries(kinds)) {
    if (!(field in item)) continue;
    const value = item[field];
    if (value === null && nullable.includes(field)) continue;
    if (!hasKind(value, kind)) problems.shapeError(prefix + field, EXPECTED[kind]);
  }
}

/** Records a rule error when a present string is outside [min, max] characters. */
export function checkLength(
  problems: Problems,
  key: string,
  field: string,
  value: unknown,
  min: number,
  max: number | undefined,
): void {
  if (typeof value !== "string") return;
  const length = [...value].length;
  if (length < min || (max !== undefined && length > max)) {
    const bound = max === undefined ? `at least ${min}` : `between ${min} and ${max}`;
    problems.rule(key, `${field} must be ${bound} characters`);
  }
}

export function requireFields(problems: Problems, prefix: string, item: Record<string, unknown>, fields: readonly string[]): void {
  for (const field of fields) {
    if (item[field] === undefined || item[field] === null) problems.rule(prefix + field, `${field} is required`);
  }
}

/** A deliberately simple email check: something@something.tld without spaces. */
export function looksLikeEmail(value: string): boolean {
  return /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value);
}

/** A JSON form field value: string, number or array of strings (spec formFieldValue). */
export function isFormFieldValue(value: unknown): boolean {
  return (
    typeof value === "string" ||
    (typeof value === "number" && Number.isFinite(value)) ||
    (Array.isArray(value) && value.every((v) => typeof v === "string"))
  );
}

export function checkFormFields(problems: Problems, path: string, value: unknown): void {
  if (value === undefined) return;
  if (!Array.isArray(value)) {
    problems.shapeError(path, EXPECTED.array);
    return;
  }
  value.forEach((field, i) => {
    if (!isPlainObject(field) || typeof field.name !== "string" || !isFormFieldValue(field.value)) {
      problems.shapeError(`${path}.${i}`, "error.expected.formfield");
    }
  });
}
