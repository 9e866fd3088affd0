/**
 * The two PATCH dialects Entra ID's provisioning service speaks (idp-clients.md §3.4):
 *
 *  - `default` (no flag on the tenant URL): capitalised ops (`Add`, `Replace`, `Remove`),
 *    boolean values as strings ("True"/"False"), one op per attribute (no-path ops split by key),
 *    member removal as `Remove members` with a value array, member objects carrying `"$ref": null`;
 *  - `aadOptscim062020` (flag appended to the tenant URL): lower-case ops, real booleans, member
 *    removal as `remove members[value eq "…"]`, consecutive replaces of plain attributes merged
 *    into one no-path op (filtered paths stay separate).
 *
 * Both functions take RFC-shaped PatchOp bodies (the validator's captures) and return new ones.
 */
export type EntraShape = "default" | "aadOptscim062020";

export interface PatchOperation {
  op: string;
  path?: string;
  value?: unknown;
  [k: string]: unknown;
}

export interface PatchBody {
  schemas?: string[];
  Operations: PatchOperation[];
  [k: string]: unknown;
}

const MEMBER_FILTER = /^members\[value eq "([^"]*)"\]$/i;

const capital = (op: string) => op.charAt(0).toUpperCase() + op.slice(1).toLowerCase();

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Entra's default sends booleans of single-valued attributes as "True"/"False". */
function stringBoolean(v: unknown): unknown {
  return typeof v === "boolean" ? (v ? "True" : "False") : v;
}

function realBoolean(v: unknown): unknown {
  if (typeof v === "string" && /^(true|false)$/i.test(v)) return v.toLowerCase() === "true";
  return v;
}

function isMembers(path: string | undefined): boolean {
  return path !== undefined && path.toLowerCase() === "members";
}

export function toDefaultShape(body: PatchBody): PatchBody {
  const ops: PatchOperation[] = [];
  for (const o of body.Operations) {
    const op = capital(o.op);
    const member = o.path ? MEMBER_FILTER.exec(o.path) : null;
    if (member && op === "Remove") {
      ops.push({ op, path: "members", value: [{ $ref: null, value: member[1] }] });
    } else if (o.path === undefined && isPlainObject(o.value)) {
      for (const [key, value] of Object.entries(o.value)) ops.push({ op, path: key, value: stringBoolean(value) });
    } else if (isMembers(o.path) && Array.isArray(o.value)) {
      ops.push({ op, path: o.path, value: o.value.map((m) => (isPlainObject(m) ? { $ref: null, ...m } : m)) });
    } else {
      ops.push({ ...o, op, ...(o.value !== undefined ? { value: stringBoolean(o.value) } : {}) });
    }
  }
  return { ...body, Operations: ops };
}

/** A path Entra would fold into a merged no-path replace: no filter, not members. */
function mergeable(o: PatchOperation): boolean {
  return o.op === "replace" && (o.path === undefined ? isPlainObject(o.value) : !o.path.includes("[") && !isMembers(o.path));
}

export function toAadOptShape(body: PatchBody): PatchBody {
  const lowered: PatchOperation[] = [];
  for (const o of body.Operations) {
    const op = o.op.toLowerCase();
    if (op === "remove" && isMembers(o.path) && Array.isArray(o.value)) {
      for (const m of o.value) {
        const id = isPlainObject(m) ? m.value : m;
        lowered.push({ op, path: `members[value eq "${String(id)}"]` });
      }
    } else if (o.path === undefined && isPlainObject(o.value)) {
      lowered.push({ op, value: Object.fromEntries(Object.entries(o.value).map(([k, v]) => [k, realBoolean(v)])) });
    } else {
      lowered.push({ ...o, op, ...(o.value !== undefined ? { value: realBoolean(o.value) } : {}) });
    }
  }
  // Merge runs of two or more consecutive plain replaces into one no-path replace; a lone
  // replace keeps its path (Entra sends `replace active false` with its path). A key already in
  // the run closes it, so the order of operations on one attribute is kept.
  const ops: PatchOperation[] = [];
  let run: PatchOperation[] = [];
  const keysOf = (o: PatchOperation) => (o.path === undefined ? Object.keys(o.value as Record<string, unknown>) : [o.path]).map((k) => k.toLowerCase());
  const flush = () => {
    if (run.length === 1) ops.push(run[0]!);
    else if (run.length > 1) {
      const value: Record<string, unknown> = {};
      for (const o of run) {
        if (o.path === undefined) Object.assign(value, o.value);
        else value[o.path] = o.value;
      }
      ops.push({ op: "replace", value });
    }
    run = [];
  };
  for (const o of lowered) {
    if (!mergeable(o)) {
      flush();
      ops.push(o);
      continue;
    }
    const taken = new Set(run.flatMap(keysOf));
    if (keysOf(o).some((k) => taken.has(k))) flush();
    run.push(o);
  }
  flush();
  return { ...body, Operations: ops };
}

export function shapePatch(body: PatchBody, shape: EntraShape): PatchBody {
  return shape === "default" ? toDefaultShape(body) : toAadOptShape(body);
}

/** Entra appends whatever query the tenant URL carries; with the flag that is `aadOptscim062020`. */
export function shapeUrl(url: string, shape: EntraShape): string {
  if (shape === "default") return url;
  const [base, query] = url.split("?", 2) as [string, string | undefined];
  return `${base}?aadOptscim062020${query ? `&${query}` : ""}`;
}
