/**
 * A parsed SCIM filter (RFC 7644 §3.4.2.2) as a tree that keeps the meaning of the text exactly:
 * `and`/`or` hold their operands in order (a chain `a or b or c` is one node; parentheses make a
 * child node), `not` wraps one filter, and a value path (`emails[type eq "work"]`) holds a filter
 * evaluated against each element of the attribute. Attribute names are kept as written and
 * compared case-insensitively by the consumers.
 */
export type CompareOperator = "eq" | "ne" | "co" | "sw" | "ew" | "gt" | "ge" | "lt" | "le";
export type Literal = string | number | boolean | null;

export interface AttributePath {
  /** Extension schema URN (`urn:…:enterprise:2.0:User`); null for the core schema. */
  readonly urn: string | null;
  readonly name: string;
  readonly sub: string | null;
}

export type FilterAst =
  | { readonly type: "compare"; readonly path: AttributePath; readonly op: CompareOperator; readonly value: Literal }
  | { readonly type: "present"; readonly path: AttributePath }
  | { readonly type: "and" | "or"; readonly filters: readonly FilterAst[] }
  | { readonly type: "not"; readonly filter: FilterAst }
  | { readonly type: "valuePath"; readonly path: AttributePath; readonly filter: FilterAst };

export const COMPARE_OPERATORS: readonly CompareOperator[] = ["eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le"];

/** `urn:…:User:manager.value`, `name.givenName`: the path as one case-preserving string. */
export function pathText(path: AttributePath): string {
  const local = path.sub === null ? path.name : `${path.name}.${path.sub}`;
  return path.urn === null ? local : `${path.urn}:${local}`;
}

/**
 * The `attribute eq value` pairs a filter requires of an element: the equalities of a single
 * comparison or of an `and` (`type eq "work" and value pr` requires type "work"). Empty when the
 * filter is an `or` or a `not`, which require no one value.
 */
export function requiredEqualities(ast: FilterAst): Map<string, Literal> {
  const parts = ast.type === "and" ? ast.filters : [ast];
  const out = new Map<string, Literal>();
  for (const part of parts) {
    if (part.type === "compare" && part.op === "eq" && part.path.urn === null && part.path.sub === null) out.set(part.path.name, part.value);
  }
  return out;
}

/**
 * Every value `name eq v` names in a non-negated position: the candidates a filter such as
 * `value eq "1" or value eq "2"` can match. A superset; the caller still evaluates the filter.
 */
export function equalityCandidates(ast: FilterAst, name: string): Literal[] {
  const wanted = name.toLowerCase();
  switch (ast.type) {
    case "compare":
      return ast.op === "eq" && ast.path.urn === null && pathText(ast.path).toLowerCase() === wanted ? [ast.value] : [];
    case "and":
    case "or":
      return ast.filters.flatMap((f) => equalityCandidates(f, name));
    default:
      return [];
  }
}

/** Whether a filter names a top-level attribute anywhere (`members` in `members[value eq "3"]`). */
export function mentionsAttribute(ast: FilterAst, name: string): boolean {
  const wanted = name.toLowerCase();
  switch (ast.type) {
    case "compare":
    case "present":
      return ast.path.name.toLowerCase() === wanted;
    case "valuePath":
      return ast.path.name.toLowerCase() === wanted || mentionsAttribute(ast.filter, name);
    case "not":
      return mentionsAttribute(ast.filter, name);
    case "and":
    case "or":
      return ast.filters.some((f) => mentionsAttribute(f, name));
  }
}
