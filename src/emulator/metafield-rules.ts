/**
 * Metafield input rules (spec MetafieldBase_Post / _Put): lengths, the permission_set enum,
 * and the uniqueness of namespace+key per customer. Returns a message per failed field so
 * that the single-resource and batch endpoints can report in their own shapes.
 */
import type { MetafieldRecord, PermissionSet } from "./records.js";
import type { EmulatorStore } from "./store.js";

export const PERMISSION_SETS: readonly PermissionSet[] = ["app_only", "read", "write", "read_and_sf_access", "write_and_sf_access"];

const LIMITS: Record<string, [number, number]> = {
  namespace: [1, 64],
  key: [1, 64],
  value: [1, 65535],
  description: [0, 255],
};

export interface MetafieldInput {
  namespace?: string;
  key?: string;
  value?: string;
  description?: string;
  permission_set?: PermissionSet;
}

/** Field problems of one item; `required` lists the fields a create must carry. */
export function metafieldProblems(item: Record<string, unknown>, required: readonly string[]): Record<string, string> {
  const problems: Record<string, string> = {};
  for (const field of required) if (item[field] === undefined) problems[field] = `${field} is required`;
  for (const [field, [min, max]] of Object.entries(LIMITS)) {
    const value = item[field];
    if (value === undefined) continue;
    if (typeof value !== "string") problems[field] = `${field} must be a string`;
    else if (value.length < min || value.length > max) problems[field] = `${field} must be between ${min} and ${max} characters`;
  }
  const permission = item.permission_set;
  if (permission !== undefined && !PERMISSION_SETS.includes(permission as PermissionSet)) {
    problems.permission_set = `permission_set must be one of: ${PERMISSION_SETS.join(", ")}`;
  }
  return problems;
}

/** The metafield that already holds this namespace+key on the customer, other than `exceptId`. */
export function conflictingMetafield(
  store: EmulatorStore,
  resourceId: number,
  namespace: string,
  key: string,
  exceptId?: number,
): MetafieldRecord | undefined {
  const found = store.metafields.find(resourceId, namespace, key);
  return found !== undefined && found.id !== exceptId ? found : undefined;
}

export function pickInput(item: Record<string, unknown>): MetafieldInput {
  const out: MetafieldInput = {};
  if (typeof item.namespace === "string") out.namespace = item.namespace;
  if (typeof item.key === "string") out.key = item.key;
  if (typeof item.value === "string") out.value = item.value;
  if (typeof item.description === "string") out.description = item.description;
  if (typeof item.permission_set === "string") out.permission_set = item.permission_set as PermissionSet;
  return out;
}
