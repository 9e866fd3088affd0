import { invalidPath } from "../errors.js";
import { parseFilter, type FilterAst } from "../filter/parse.js";

/**
 * A PATCH path (RFC 7644 §3.5.2): `attr`, `attr.sub`, `urn:…:attr`, `attr[filter]`,
 * `attr[filter].sub`. Names are returned as written; the applier resolves them
 * case-insensitively.
 */
export interface PatchPath {
  /** Extension URN when the path was URN-prefixed, else null (core schema). */
  urn: string | null;
  attribute: string;
  filter: FilterAst | null;
  /** The filter as written, for error messages and for building an element to insert. */
  filterText: string | null;
  subAttribute: string | null;
}

/** Core schemas: a path may name their attributes fully qualified (RFC 7644 §3.10). */
const CORE_URNS = ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:core:2.0:Group"];

export function stripCoreUrn(path: string): string {
  const lower = path.toLowerCase();
  const core = CORE_URNS.find((u) => lower.startsWith(`${u.toLowerCase()}:`));
  return core ? path.slice(core.length + 1) : path;
}

export function parsePatchPath(path: string, knownUrns: readonly string[]): PatchPath {
  let rest = stripCoreUrn(path.trim());
  let urn: string | null = null;
  const lower = rest.toLowerCase();
  const whole = knownUrns.find((u) => u.toLowerCase() === lower);
  if (whole) return { urn: null, attribute: whole, filter: null, filterText: null, subAttribute: null };
  const found = knownUrns.find((u) => lower.startsWith(`${u.toLowerCase()}:`));
  if (found) {
    urn = found;
    rest = rest.slice(found.length + 1);
  } else if (lower.startsWith("urn:")) {
    // An extension this server does not know: the caller decides (ignored, like unknown attributes).
    const idx = rest.lastIndexOf(":");
    urn = rest.slice(0, idx);
    rest = rest.slice(idx + 1);
  }
  const m = /^([A-Za-z$][\w$-]*)(?:\[(.*)\])?(?:\.([A-Za-z$][\w$-]*))?$/s.exec(rest);
  if (!m) throw invalidPath(`Invalid path '${path}'`);
  const [, attribute, filterText, subAttribute] = m;
  return {
    urn,
    attribute: attribute!,
    filter: filterText !== undefined ? parseFilter(filterText) : null,
    filterText: filterText ?? null,
    subAttribute: subAttribute ?? null,
  };
}
