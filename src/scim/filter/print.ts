import { pathText, type FilterAst, type Literal } from "./ast.js";

/**
 * Writes a filter tree back as filter text that parses to the same tree: parentheses only
 * where precedence (not > and > or) or grouping needs them, strings as JSON strings. Used in
 * logs and by the property tests that check parse(print(tree)) equals the tree.
 */
function literal(value: Literal): string {
  return typeof value === "string" ? JSON.stringify(value) : String(value);
}

export function printFilter(ast: FilterAst): string {
  switch (ast.type) {
    case "compare":
      return `${pathText(ast.path)} ${ast.op} ${literal(ast.value)}`;
    case "present":
      return `${pathText(ast.path)} pr`;
    case "not":
      return `not (${printFilter(ast.filter)})`;
    case "valuePath":
      return `${pathText(ast.path)}[${printFilter(ast.filter)}]`;
    case "and":
      // An `and` or `or` operand of an `and` is its own group.
      return ast.filters.map((f) => (f.type === "and" || f.type === "or" ? `(${printFilter(f)})` : printFilter(f))).join(" and ");
    case "or":
      // `and` binds tighter than `or`, so only an `or` operand needs parentheses.
      return ast.filters.map((f) => (f.type === "or" ? `(${printFilter(f)})` : printFilter(f))).join(" or ");
  }
}
