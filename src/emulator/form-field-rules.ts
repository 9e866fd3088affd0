/**
 * Customer form fields (the account sign-up form's custom fields). BigCommerce defines them in the
 * control panel only, so the emulator learns them from its options (`formFields`); an API client
 * can only write values. Spec (customers.v3.yml formFieldValue): `{name, value}` with a string,
 * a number or an array of strings; the field types are those of the form-field-values
 * `field_type` filter.
 */
import type { FormFieldDefinition, ResolvedOptions } from "./options.js";
import type { FormField } from "./records.js";
import { isPlainObject, type Problems } from "./validation.js";

/** What a field of each type accepts (the value shapes the spec allows, by field type). */
function valueProblem(definition: FormFieldDefinition, value: unknown): string | null {
  if (value === "" || (Array.isArray(value) && value.length === 0)) return null; // clears the value
  switch (definition.type) {
    case "checkboxes":
      if (!Array.isArray(value)) return `form field "${definition.name}" (checkboxes) takes an array of strings`;
      break;
    case "numbers":
      if (typeof value !== "number" && !(typeof value === "string" && Number.isFinite(Number(value)))) {
        return `form field "${definition.name}" (numbers) takes a number`;
      }
      break;
    case "date":
      if (typeof value !== "string" || Number.isNaN(Date.parse(value))) return `form field "${definition.name}" (date) takes a date`;
      break;
    default:
      if (typeof value !== "string") return `form field "${definition.name}" (${definition.type}) takes a string`;
  }
  const options = definition.options;
  if (options !== undefined) {
    const chosen = Array.isArray(value) ? value : [value];
    const unknown = chosen.filter((v) => !options.includes(String(v)));
    if (unknown.length > 0) return `form field "${definition.name}" has no option ${unknown.map((v) => `"${String(v)}"`).join(", ")}`;
  }
  return null;
}

/**
 * Rules on an item's `form_fields` once its shape is sound: with the store's form modelled
 * (`formFields` set), a name the form does not have, or a value its type refuses, is a 422.
 * Without it, any name is accepted (the store's form is not known).
 */
export function checkFormFieldRules(problems: Problems, prefix: string, value: unknown, options: ResolvedOptions): void {
  const definitions = options.formFields;
  if (definitions === null || !Array.isArray(value)) return;
  const seen = new Set<string>();
  value.forEach((field, i) => {
    if (!isPlainObject(field) || typeof field.name !== "string") return;
    const definition = definitions.find((d) => d.name === field.name);
    if (definition === undefined) {
      problems.rule(`${prefix}form_fields.${i}.name`, `form field "${field.name}" does not exist`);
      return;
    }
    if (seen.has(field.name)) problems.rule(`${prefix}form_fields.${i}.name`, `form field "${field.name}" is given twice`);
    seen.add(field.name);
    const problem = valueProblem(definition, field.value);
    if (problem !== null) problems.rule(`${prefix}form_fields.${i}.value`, problem);
  });
}

/**
 * A write's form fields upsert by name (as the form-field-values upsert did): the fields it names
 * take their new value, an empty value ("" or []) removes the field's value, the others stay.
 */
export function upsertFormFields(current: readonly FormField[], written: readonly FormField[]): FormField[] {
  const out = current.map((f) => structuredClone(f));
  for (const field of written) {
    const at = out.findIndex((f) => f.name === field.name);
    const clears = field.value === "" || (Array.isArray(field.value) && field.value.length === 0);
    if (clears) {
      if (at >= 0) out.splice(at, 1);
    } else if (at >= 0) out[at] = structuredClone(field);
    else out.push(structuredClone(field));
  }
  return out;
}
