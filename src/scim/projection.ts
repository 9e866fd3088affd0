import { matchesFilter } from "./filter/evaluate.js";
import type { Json } from "./json.js";
import { parseFilter } from "./filter/parse.js";
import { invalidFilter } from "./errors.js";
import { stripCoreUrn } from "./patch/path.js";

/**
 * `attributes` / `excludedAttributes` (RFC 7644 §3.9), applied to plain SCIM JSON. Supports
 * `attr`, `attr.sub`, URN-prefixed paths and `attr[filter]`. `id` and `schemas` are always
 * returned. Done here rather than by scimmy, whose projection drops `schemas`/`meta` and fails
 * on sub-attributes and extension attributes (shared notes, scimmy.md §5.5).
 */
const ALWAYS = new Set(["id", "schemas"]);

interface ProjectionPath {
  top: string;
  sub: string | null;
  filter: string | null;
}

function splitList(list: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let current = "";
  for (const ch of list) {
    if (ch === "[") depth++;
    if (ch === "]") depth--;
    if (ch === "," && depth === 0) {
      out.push(current.trim());
      current = "";
    } else current += ch;
  }
  if (current.trim()) out.push(current.trim());
  return out;
}

function parsePath(given: string, urns: readonly string[]): ProjectionPath {
  const raw = stripCoreUrn(given);
  let path = raw;
  const lower = raw.toLowerCase();
  const urn = urns.find((u) => lower === u.toLowerCase() || lower.startsWith(`${u.toLowerCase()}:`));
  let prefix = "";
  if (urn) {
    if (lower === urn.toLowerCase()) return { top: urn, sub: null, filter: null };
    prefix = `${urn}:`;
    path = raw.slice(urn.length + 1);
  }
  const m = /^([^[.]+)(?:\[(.*)\])?(?:\.(.+))?$/.exec(path);
  if (!m) throw invalidFilter(`Invalid attribute path '${raw}'`);
  if (prefix) return { top: urn!, sub: m[1]!, filter: null };
  return { top: m[1]!, sub: m[3] ?? null, filter: m[2] ?? null };
}

const keyIn = (obj: Json, name: string) => Object.keys(obj).find((k) => k.toLowerCase() === name.toLowerCase());

export function projectResource(resource: Json, attributes: string | undefined, excluded: string | undefined, urns: readonly string[]): Json {
  if (attributes) {
    const out: Json = {};
    for (const key of Object.keys(resource)) if (ALWAYS.has(key)) out[key] = resource[key];
    for (const raw of splitList(attributes)) {
      const p = parsePath(raw, urns);
      const key = keyIn(resource, p.top);
      if (key === undefined) continue;
      const value = resource[key];
      if (p.filter && Array.isArray(value)) {
        const ast = parseFilter(p.filter);
        out[key] = value.filter((el) => matchesFilter(el, ast));
      } else if (p.sub && Array.isArray(value)) {
        const prev = Array.isArray(out[key]) ? (out[key] as Json[]) : value.map(() => ({}) as Json);
        out[key] = value.map((el, i) => {
          const subKey = typeof el === "object" && el ? keyIn(el as Json, p.sub!) : undefined;
          return subKey ? { ...prev[i], [subKey]: (el as Json)[subKey] } : prev[i];
        });
      } else if (p.sub && typeof value === "object" && value !== null) {
        const subKey = keyIn(value as Json, p.sub);
        if (subKey !== undefined) out[key] = { ...((out[key] as Json) ?? {}), [subKey]: (value as Json)[subKey] };
      } else {
        out[key] = value;
      }
    }
    return out;
  }
  if (excluded) {
    const out: Json = structuredClone(resource);
    for (const raw of splitList(excluded)) {
      const p = parsePath(raw, urns);
      const key = keyIn(out, p.top);
      if (key === undefined || ALWAYS.has(key)) continue;
      if (!p.sub) {
        delete out[key];
        continue;
      }
      const value = out[key];
      const strip = (el: unknown) => {
        if (typeof el === "object" && el !== null) {
          const subKey = keyIn(el as Json, p.sub!);
          if (subKey !== undefined) delete (el as Json)[subKey];
        }
      };
      if (Array.isArray(value)) value.forEach(strip);
      else strip(value);
    }
    return out;
  }
  return resource;
}
