import { USER_ATTRIBUTES, type AttributeRow } from "../../mapping/attribute-table.js";
import { GROUP_ATTRIBUTES } from "../../mapping/group-attribute-table.js";
import { CORE_GROUP, CORE_USER } from "../../mapping/urns.js";
import { isPlainObject } from "../json.js";

/**
 * SCIM attribute names are case-insensitive (RFC 7643 §2.1) and IdPs use that freedom
 * ("UserName", "Primary", "Manager": {"Value"}). Everything after this module sees the
 * canonical spelling only.
 */
export type Shape = { [name: string]: Shape | true };

/** What casing needs of a table row (a User or a Group attribute). */
type ShapeRow = Pick<AttributeRow, "path" | "caseOnly"> & { readonly schema: string };

/**
 * Every attribute of a table (src/mapping/attribute-table.ts, group-attribute-table.ts), by
 * schema: the resource's core schema at the top, extension attributes under their URN,
 * sub-attributes under their parent.
 */
export function shapeOf(rows: readonly ShapeRow[], core: string): Shape {
  const shape: Shape = {};
  const objectAt = (holder: Shape, name: string): Shape => {
    const existing = holder[name];
    if (existing !== undefined && existing !== true) return existing;
    return (holder[name] = {});
  };
  for (const row of rows) {
    const holder = row.schema === core ? shape : objectAt(shape, row.schema);
    const [parent, sub] = row.path.split(".") as [string, string | undefined];
    if (sub !== undefined) {
      objectAt(holder, parent)[sub] = true;
    } else {
      holder[parent] ??= true;
    }
    if (row.caseOnly) {
      const inner = objectAt(holder, row.path);
      for (const name of row.caseOnly) inner[name] = true;
    }
  }
  return shape;
}

export const USER_SHAPE: Shape = shapeOf(USER_ATTRIBUTES, CORE_USER);

/** The User shape with the attributes a mapping file adds (their extension schemas included). */
export function userShapeWith(extra: readonly { readonly schema: string; readonly path: string }[]): Shape {
  return extra.length === 0 ? USER_SHAPE : shapeOf([...USER_ATTRIBUTES, ...extra], CORE_USER);
}

export const GROUP_SHAPE: Shape = shapeOf(GROUP_ATTRIBUTES, CORE_GROUP);

const lowerIndex = (shape: Shape) => new Map(Object.keys(shape).map((k) => [k.toLowerCase(), k]));
const indexCache = new WeakMap<Shape, Map<string, string>>();
const indexOf = (shape: Shape) => {
  let idx = indexCache.get(shape);
  if (!idx) indexCache.set(shape, (idx = lowerIndex(shape)));
  return idx;
};

export function canonicalName(shape: Shape, name: string): string | undefined {
  return indexOf(shape).get(name.toLowerCase());
}

/** Finds the sub-shape of a canonical attribute name, if it is complex. */
export function subShape(shape: Shape, canonical: string): Shape | undefined {
  const s = shape[canonical];
  return s === true ? undefined : s;
}


/**
 * Returns a copy with every known key spelled canonically. Flat URN-prefixed keys
 * ("urn:…:enterprise:2.0:User:department") are folded into their extension object. Unknown
 * keys are kept as they are (later stages ignore them).
 */
export function canonicalise(body: Record<string, unknown>, shape: Shape): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const urns = Object.keys(shape).filter((k) => k.startsWith("urn:"));
  for (const [rawKey, value] of Object.entries(body)) {
    const lower = rawKey.toLowerCase();
    const urn = urns.find((u) => lower.startsWith(`${u.toLowerCase()}:`));
    if (urn) {
      const ext = (out[urn] ??= {}) as Record<string, unknown>;
      const rest = rawKey.slice(urn.length + 1);
      const [attr, ...sub] = rest.split(".");
      const extShape = subShape(shape, urn)!;
      const canon = canonicalName(extShape, attr ?? "") ?? attr ?? rest;
      if (sub.length > 0) {
        const inner = (ext[canon] ??= {}) as Record<string, unknown>;
        const innerShape = subShape(extShape, canon);
        const subKey = sub.join(".");
        inner[innerShape ? canonicalName(innerShape, subKey) ?? subKey : subKey] = value;
      } else {
        ext[canon] = canonicalValue(extShape, canon, value);
      }
      continue;
    }
    const canon = canonicalName(shape, rawKey) ?? rawKey;
    const value2 = canonicalValue(shape, canon, value);
    if (isPlainObject(out[canon]) && isPlainObject(value2)) {
      out[canon] = { ...(out[canon] as object), ...value2 };
    } else {
      out[canon] = value2;
    }
  }
  return out;
}

function canonicalValue(shape: Shape, canon: string, value: unknown): unknown {
  const inner = subShape(shape, canon);
  if (!inner) return value;
  if (Array.isArray(value)) return value.map((v) => (isPlainObject(v) ? canonicalise(v, inner) : v));
  if (isPlainObject(value)) return canonicalise(value, inner);
  return value;
}
