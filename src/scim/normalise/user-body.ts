import { USER_MULTI_VALUED } from "../../mapping/attribute-table.js";
import { BIGCOMMERCE_CUSTOMER, ENTERPRISE_USER } from "../../mapping/urns.js";
import { isPlainObject } from "../json.js";
import { canonicalise, USER_SHAPE, type Shape } from "./canonical-keys.js";
import { invalidValue } from "../errors.js";

/**
 * Repairs what real IdPs send before anything validates it (see shared notes, idp-clients.md):
 * Entra's "True"/"False" strings, OneLogin's single-object `emails`, `manager` as a bare string
 * or `managerId`, `null` elements. `null` itself is kept: in a PUT it means "clear".
 */


export function toBoolean(v: unknown): unknown {
  if (typeof v === "string") {
    const s = v.trim().toLowerCase();
    if (s === "true") return true;
    if (s === "false") return false;
  }
  return v;
}

const toInteger = (v: unknown): unknown =>
  typeof v === "string" && /^\s*\d+\s*$/.test(v) ? Number(v) : v;

/** Manager in any of the shapes Entra and OneLogin send -> {value} or null (remove). */
export function normaliseManager(v: unknown): unknown {
  if (v === undefined) return undefined;
  if (Array.isArray(v)) return normaliseManager(v[0] ?? null);
  if (v === null || v === "") return null;
  if (typeof v === "string" || typeof v === "number") return { value: String(v) };
  if (isPlainObject(v)) {
    const value = v.value ?? v.managerId;
    if (value === undefined || value === null || value === "") return null;
    // An object or list here would be stored as "[object Object]".
    if (typeof value !== "string" && typeof value !== "number") throw invalidValue("'manager.value' must be a string (the manager's id)");
    return { value: String(value) };
  }
  return v;
}

function normaliseMultiValue(v: unknown): unknown {
  if (v === null || v === undefined) return v;
  const list = Array.isArray(v) ? v : [v];
  return list
    .filter((item) => item !== null && item !== undefined)
    .map((item) => (isPlainObject(item) && "primary" in item ? { ...item, primary: toBoolean(item.primary) } : item));
}

/** `shape`: the app's User attributes (the built-in ones and its mapping file's). */
export function normaliseUserBody(body: Record<string, unknown>, shape: Shape = USER_SHAPE): Record<string, unknown> {
  const out = canonicalise(body, shape);
  if ("active" in out) out.active = toBoolean(out.active);
  for (const key of USER_MULTI_VALUED) {
    if (key in out) out[key] = normaliseMultiValue(out[key]);
  }
  const ent = out[ENTERPRISE_USER];
  if (isPlainObject(ent) && "manager" in ent) {
    out[ENTERPRISE_USER] = { ...ent, manager: normaliseManager(ent.manager) };
  }
  const bc = out[BIGCOMMERCE_CUSTOMER];
  if (isPlainObject(bc)) {
    const fixed: Record<string, unknown> = { ...bc };
    if ("customerGroupId" in fixed) fixed.customerGroupId = toInteger(fixed.customerGroupId);
    if (Array.isArray(fixed.channelIds)) fixed.channelIds = fixed.channelIds.map(toInteger);
    if ("acceptsProductReviewAbandonedCartEmails" in fixed) {
      fixed.acceptsProductReviewAbandonedCartEmails = toBoolean(fixed.acceptsProductReviewAbandonedCartEmails);
    }
    out[BIGCOMMERCE_CUSTOMER] = fixed;
  }
  return out;
}
