import { invalidFilter } from "../errors.js";
import { COMPARE_OPERATORS, type AttributePath, type CompareOperator, type FilterAst, type Literal } from "./ast.js";

export type { AttributePath, CompareOperator, FilterAst, Literal } from "./ast.js";

/**
 * A recursive-descent parser for the filter grammar of RFC 7644 §3.4.2.2:
 *
 *   filter     = or
 *   or         = and *("or" and)
 *   and        = unary *("and" unary)
 *   unary      = "not" "(" filter ")" / "(" filter ")" / attrExp
 *   attrExp    = attrPath "pr" / attrPath compareOp compValue
 *              / attrPath "[" filter "]" ["." subAttr ("pr" / compareOp compValue)]
 *   compValue  = JSON string / JSON number / true / false / null
 *
 * Keywords, operators and literals are case-insensitive; strings are JSON strings (escapes
 * included). `attr[filter].sub op value` is not in the RFC grammar but is what Entra ID sends;
 * it means `attr[filter and sub op value]`. Likewise an unquoted word where a value belongs is read
 * as a string (Microsoft's reference tests send `name.familyName eq Employee`). Written here because scimmy's parser rejects legal
 * nesting and escapes and turns an inner `or` of a value path into `and` (issue 7, item 8).
 */

/** Nesting deeper than this is refused, so that no filter can exhaust the stack. */
export const MAX_FILTER_DEPTH = 32;

type Token = { kind: "(" | ")" | "[" | "]"; text: string; at: number } | { kind: "string"; text: string; value: string; at: number } | { kind: "word"; text: string; at: number };

const CORE_URN = /^urn:ietf:params:scim:schemas:core:2\.0:(user|group)$/i;
const ATTRIBUTE_NAME = /^[A-Za-z$][\w$-]*$/;
const JSON_NUMBER = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/;

function fail(expression: string, at: number, problem: string): never {
  const shown = expression.length > 200 ? `${expression.slice(0, 200)}…` : expression;
  throw invalidFilter(`Invalid filter '${shown}': ${problem} (at character ${at + 1})`);
}

function tokenize(expression: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < expression.length) {
    const ch = expression[i]!;
    if (/\s/.test(ch)) {
      i++;
    } else if (ch === "(" || ch === ")" || ch === "[" || ch === "]") {
      tokens.push({ kind: ch, text: ch, at: i });
      i++;
    } else if (ch === '"') {
      let j = i + 1;
      while (j < expression.length && expression[j] !== '"') j += expression[j] === "\\" ? 2 : 1;
      if (j >= expression.length) fail(expression, i, "a string is not closed");
      const text = expression.slice(i, j + 1);
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        fail(expression, i, `${text.length > 60 ? `${text.slice(0, 60)}…` : text} is not a valid JSON string`);
      }
      tokens.push({ kind: "string", text, value: value as string, at: i });
      i = j + 1;
    } else {
      let j = i;
      while (j < expression.length && !/[\s()[\]"]/.test(expression[j]!)) j++;
      tokens.push({ kind: "word", text: expression.slice(i, j), at: i });
      i = j;
    }
  }
  return tokens;
}

function isKeyword(token: Token | undefined, keyword: string): boolean {
  return token?.kind === "word" && token.text.toLowerCase() === keyword;
}

function compareOperator(token: Token | undefined): CompareOperator | null {
  if (token?.kind !== "word") return null;
  const op = token.text.toLowerCase();
  return (COMPARE_OPERATORS as readonly string[]).includes(op) ? (op as CompareOperator) : null;
}

class Parser {
  private next = 0;

  constructor(
    private readonly expression: string,
    private readonly tokens: Token[],
  ) {}

  parse(): FilterAst {
    if (this.tokens.length === 0) fail(this.expression, 0, "it is empty");
    const ast = this.or(0, false);
    const extra = this.peek();
    if (extra) fail(this.expression, extra.at, `unexpected '${extra.text}'`);
    return ast;
  }

  private peek(offset = 0): Token | undefined {
    return this.tokens[this.next + offset];
  }

  private take(): Token {
    const token = this.tokens[this.next++];
    if (!token) fail(this.expression, this.expression.length, "it ends too early");
    return token;
  }

  private expect(kind: ")" | "]"): void {
    const token = this.peek();
    if (token?.kind !== kind) fail(this.expression, token?.at ?? this.expression.length, `expected '${kind}'`);
    this.next++;
  }

  private or(depth: number, inValuePath: boolean): FilterAst {
    const filters = [this.and(depth, inValuePath)];
    while (isKeyword(this.peek(), "or")) {
      this.next++;
      filters.push(this.and(depth, inValuePath));
    }
    return filters.length === 1 ? filters[0]! : { type: "or", filters };
  }

  private and(depth: number, inValuePath: boolean): FilterAst {
    const filters = [this.unary(depth, inValuePath)];
    while (isKeyword(this.peek(), "and")) {
      this.next++;
      filters.push(this.unary(depth, inValuePath));
    }
    return filters.length === 1 ? filters[0]! : { type: "and", filters };
  }

  private nested(depth: number, at: number): number {
    if (depth + 1 > MAX_FILTER_DEPTH) fail(this.expression, at, `it nests deeper than ${MAX_FILTER_DEPTH} levels`);
    return depth + 1;
  }

  private unary(depth: number, inValuePath: boolean): FilterAst {
    const token = this.peek();
    if (isKeyword(token, "not") && this.peek(1)?.kind === "(") {
      this.next += 2;
      const filter = this.or(this.nested(depth, token!.at), inValuePath);
      this.expect(")");
      return { type: "not", filter };
    }
    if (token?.kind === "(") {
      this.next++;
      const filter = this.or(this.nested(depth, token.at), inValuePath);
      this.expect(")");
      return filter;
    }
    return this.attributeExpression(depth, inValuePath);
  }

  private attributeExpression(depth: number, inValuePath: boolean): FilterAst {
    const token = this.take();
    if (token.kind !== "word" || compareOperator(token) || isKeyword(token, "and") || isKeyword(token, "or")) {
      fail(this.expression, token.at, `expected an attribute, found '${token.text}'`);
    }
    const path = this.attributePath(token);
    const following = this.peek();
    if (following?.kind === "[") {
      if (inValuePath) fail(this.expression, following.at, "a value filter cannot contain another one");
      if (path.sub !== null) fail(this.expression, following.at, "a value filter applies to an attribute, not a sub-attribute");
      this.next++;
      const inner = this.or(this.nested(depth, following.at), true);
      this.expect("]");
      const after = this.peek();
      if (after?.kind === "word" && after.text.startsWith(".")) {
        this.next++;
        const sub = after.text.slice(1);
        if (!ATTRIBUTE_NAME.test(sub)) fail(this.expression, after.at, `'${after.text}' is not a sub-attribute`);
        const condition = this.condition({ urn: null, name: sub, sub: null });
        const parts = inner.type === "and" ? [...inner.filters, condition] : [inner, condition];
        return { type: "valuePath", path, filter: { type: "and", filters: parts } };
      }
      return { type: "valuePath", path, filter: inner };
    }
    return this.condition(path);
  }

  private condition(path: AttributePath): FilterAst {
    const token = this.peek();
    if (isKeyword(token, "pr")) {
      this.next++;
      return { type: "present", path };
    }
    const op = compareOperator(token);
    if (!op) {
      fail(this.expression, token?.at ?? this.expression.length, token ? `'${token.text}' is not an operator (eq, ne, co, sw, ew, gt, ge, lt, le, pr)` : "an operator is missing");
    }
    this.next++;
    return { type: "compare", path, op, value: this.literal() };
  }

  private literal(): Literal {
    const token = this.peek();
    if (!token) fail(this.expression, this.expression.length, "a value is missing");
    this.next++;
    if (token.kind === "string") return token.value;
    if (token.kind === "word") {
      const word = token.text.toLowerCase();
      if (word === "true") return true;
      if (word === "false") return false;
      if (word === "null") return null;
      if (JSON_NUMBER.test(token.text)) return Number(token.text);
      // Microsoft's SCIM reference tests send unquoted strings (`userName sw O`).
      if (word !== "and" && word !== "or") return token.text;
    }
    return fail(this.expression, token.at, `'${token.text}' is not a value (strings are written in double quotes)`);
  }

  private attributePath(token: Token): AttributePath {
    let urn: string | null = null;
    let local = token.text;
    if (/^urn:/i.test(local)) {
      const colon = local.lastIndexOf(":");
      urn = local.slice(0, colon);
      local = local.slice(colon + 1);
      if (CORE_URN.test(urn)) urn = null;
    }
    const [name, sub, ...rest] = local.split(".");
    if (!name || !ATTRIBUTE_NAME.test(name) || (sub !== undefined && !ATTRIBUTE_NAME.test(sub)) || rest.length > 0) {
      fail(this.expression, token.at, `'${token.text}' is not an attribute path`);
    }
    return { urn, name, sub: sub ?? null };
  }
}

const DATE_TIME = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?$/i;
const ORDERED: ReadonlySet<CompareOperator> = new Set(["eq", "ne", "gt", "ge", "lt", "le"]);

/**
 * `meta.created` and `meta.lastModified` are dateTimes: a comparison with something that is
 * not one (`meta.lastModified gt "garbage"`) is a malformed filter, not a filter nothing matches.
 */
function checkDates(ast: FilterAst): void {
  switch (ast.type) {
    case "and":
    case "or":
      ast.filters.forEach(checkDates);
      return;
    case "not":
      checkDates(ast.filter);
      return;
    case "compare": {
      const { path, op, value } = ast;
      const isDate = path.urn === null && path.name.toLowerCase() === "meta" && /^(created|lastmodified)$/i.test(path.sub ?? "");
      if (!isDate || !ORDERED.has(op) || value === null) return;
      if (typeof value !== "string" || !DATE_TIME.test(value) || Number.isNaN(Date.parse(value))) {
        throw invalidFilter(`'${String(value).slice(0, 64)}' is not a dateTime (RFC 3339, e.g. 2024-01-31T12:00:00Z) for meta.${path.sub}`);
      }
      return;
    }
    default:
      return;
  }
}

/** Parses a SCIM filter; anything that is not a filter is a 400 invalidFilter. */
export function parseFilter(expression: string): FilterAst {
  const ast = new Parser(expression, tokenize(expression)).parse();
  checkDates(ast);
  return ast;
}
