import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { AttributePath, CompareOperator, FilterAst, Literal } from "../../src/scim/filter/ast.js";
import { matchesFilter } from "../../src/scim/filter/evaluate.js";
import { parseFilter } from "../../src/scim/filter/parse.js";
import { printFilter } from "../../src/scim/filter/print.js";

/**
 * Property tests of the filter parser and evaluator: generated trees are printed (canonically
 * and with noise: redundant parentheses, any case, extra spaces), parsed back and compared; and
 * evaluation of the parsed text is compared with a straightforward reference evaluator on
 * generated users. Fixed seed and bounded runs, so `npm test` is deterministic.
 */
const RUNS = { seed: 20261202, numRuns: 300 };
const ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const OPERATORS: CompareOperator[] = ["eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le"];

// ---- generators -------------------------------------------------------------------------

/** Any case of a name: attribute names and keywords are case-insensitive. */
const anyCase = (name: string) => fc.array(fc.boolean(), { minLength: name.length, maxLength: name.length }).map((upper) => [...name].map((c, i) => (upper[i] ? c.toUpperCase() : c.toLowerCase())).join(""));

/** Short strings from an alphabet with the characters that are hard to quote and to parse. */
const text = fc.string({ unit: fc.constantFrom("a", "b", "A", "B", '"', "\\", " ", "é", "(", ")", "]", "\n", "\u2028"), maxLength: 4 });
const word = fc.string({ unit: fc.constantFrom("a", "b", "A", "B"), maxLength: 3 });

const literal: fc.Arbitrary<Literal> = fc.oneof(text, fc.boolean(), fc.constant(null), fc.integer({ min: -1000, max: 1000 }), fc.double({ noNaN: true, noDefaultInfinity: true }));
const attrName = fc.constantFrom("userName", "title", "name", "emails", "x", "$ref", "a-b_c1").chain(anyCase);
const syntaxPath: fc.Arbitrary<AttributePath> = fc.record({
  urn: fc.constantFrom(null, null, ENTERPRISE),
  name: attrName,
  sub: fc.constantFrom(null, null, "value", "givenName"),
});

/** Any tree the grammar can express (for the print/parse round trip). */
function syntaxTree(inValuePath: boolean): fc.Arbitrary<FilterAst> {
  return fc.letrec<{ node: FilterAst }>((tie) => ({
    node: fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      fc.record({ type: fc.constant("compare" as const), path: syntaxPath, op: fc.constantFrom(...OPERATORS), value: literal }),
      fc.record({ type: fc.constant("present" as const), path: syntaxPath }),
      fc.record({ type: fc.constantFrom("and" as const, "or" as const), filters: fc.array(tie("node"), { minLength: 2, maxLength: 3 }) }),
      fc.record({ type: fc.constant("not" as const), filter: tie("node") }),
      ...(inValuePath ? [] : [fc.record({ type: fc.constant("valuePath" as const), path: syntaxPath.map((p) => ({ ...p, sub: null })), filter: syntaxTree(true) })]),
    ),
  })).node;
}

/** Trees over the attributes of generated users, with values that have one clear meaning. */
type Kind = "string" | "boolean";
const USER_PATHS: { path: AttributePath; kind: Kind }[] = [
  { path: { urn: null, name: "userName", sub: null }, kind: "string" },
  { path: { urn: null, name: "title", sub: null }, kind: "string" },
  { path: { urn: null, name: "name", sub: "givenName" }, kind: "string" },
  { path: { urn: null, name: "emails", sub: "value" }, kind: "string" },
  { path: { urn: null, name: "emails", sub: "type" }, kind: "string" },
  { path: { urn: ENTERPRISE, name: "department", sub: null }, kind: "string" },
  { path: { urn: null, name: "active", sub: null }, kind: "boolean" },
];
const EMAIL_PATHS: { path: AttributePath; kind: Kind }[] = [
  { path: { urn: null, name: "value", sub: null }, kind: "string" },
  { path: { urn: null, name: "type", sub: null }, kind: "string" },
];

function condition(paths: typeof USER_PATHS): fc.Arbitrary<FilterAst> {
  return fc.constantFrom(...paths).chain(({ path, kind }): fc.Arbitrary<FilterAst> => {
    const named = anyCase(path.name).map((name) => ({ ...path, name }));
    if (kind === "boolean") return fc.record({ type: fc.constant("compare" as const), path: named, op: fc.constantFrom<CompareOperator>("eq", "ne"), value: fc.boolean() });
    return fc.oneof(
      fc.record({ type: fc.constant("compare" as const), path: named, op: fc.constantFrom(...OPERATORS), value: word }),
      fc.record({ type: fc.constant("present" as const), path: named }),
    );
  });
}

function semanticTree(inValuePath: boolean): fc.Arbitrary<FilterAst> {
  return fc.letrec<{ node: FilterAst }>((tie) => ({
    node: fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      condition(inValuePath ? EMAIL_PATHS : USER_PATHS),
      fc.record({ type: fc.constantFrom("and" as const, "or" as const), filters: fc.array(tie("node"), { minLength: 2, maxLength: 3 }) }),
      fc.record({ type: fc.constant("not" as const), filter: tie("node") }),
      ...(inValuePath ? [] : [fc.record({ type: fc.constant("valuePath" as const), path: anyCase("emails").map((name) => ({ urn: null, name, sub: null })), filter: semanticTree(true) })]),
    ),
  })).node;
}

interface TestUser {
  userName: string;
  title?: string;
  name?: { givenName?: string };
  emails?: { value?: string; type?: string }[];
  active?: boolean;
  [ENTERPRISE]?: { department?: string };
}
const user: fc.Arbitrary<TestUser> = fc.record(
  {
    userName: word,
    title: word,
    name: fc.record({ givenName: word }, { requiredKeys: [] }),
    emails: fc.array(fc.record({ value: word, type: fc.constantFrom("work", "home", "Work") }, { requiredKeys: [] }), { maxLength: 3 }),
    active: fc.boolean(),
    [ENTERPRISE]: fc.record({ department: word }, { requiredKeys: [] }),
  },
  { requiredKeys: ["userName"] },
);

// ---- printing with noise -----------------------------------------------------------------

/** Prints a tree as a client might: redundant parentheses, any case, extra spaces. */
function noisyPrint(ast: FilterAst, noise: () => number): string {
  const space = () => " ".repeat(1 + Math.floor(noise() * 2));
  const keyword = (k: string) => [...k].map((c) => (noise() < 0.5 ? c.toUpperCase() : c)).join("");
  const maybeGroup = (s: string) => (noise() < 0.15 ? `(${space()}${s})` : s);
  const canonical = printFilter({ ...ast, ...(ast.type === "and" || ast.type === "or" ? { filters: [] } : {}) } as FilterAst);
  switch (ast.type) {
    case "compare":
      return maybeGroup(`${canonical.slice(0, canonical.indexOf(" "))}${space()}${keyword(ast.op)}${space()}${canonical.slice(canonical.indexOf(" ") + ast.op.length + 2)}`);
    case "present":
      return maybeGroup(`${canonical.slice(0, -3)}${space()}${keyword("pr")}`);
    case "not":
      return maybeGroup(`${keyword("not")}${noise() < 0.5 ? "" : space()}(${noisyPrint(ast.filter, noise)})`);
    case "valuePath":
      return maybeGroup(`${canonical.slice(0, canonical.indexOf("["))}[${noisyPrint(ast.filter, noise)}]`);
    case "and":
    case "or": {
      const needsGroup = (f: FilterAst) => f.type === "or" || (ast.type === "and" && f.type === "and");
      const parts = ast.filters.map((f) => (needsGroup(f) ? `(${noisyPrint(f, noise)})` : noisyPrint(f, noise)));
      return maybeGroup(parts.join(`${space()}${keyword(ast.type)}${space()}`));
    }
  }
}

function randomSource(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// ---- the reference evaluator -------------------------------------------------------------

/** The values a path names on a user (or on one email inside a value path). */
function referenceValues(subject: Record<string, unknown>, path: AttributePath): unknown[] {
  const lower = (o: unknown) => Object.fromEntries(Object.entries((o ?? {}) as object).map(([k, v]) => [k.toLowerCase(), v]));
  const holder = path.urn ? lower(subject)[path.urn.toLowerCase()] : subject;
  const top = lower(holder)[path.name.toLowerCase()];
  const all = path.sub === null ? [top] : (Array.isArray(top) ? top : [top]).map((el) => lower(el)[path.sub!.toLowerCase()]);
  return all.flat().filter((v) => v !== undefined && v !== null);
}

function referenceCompare(actual: unknown, op: CompareOperator, expected: Literal): boolean {
  if (typeof actual === "boolean") return op === "eq" ? actual === expected : op === "ne" ? actual !== expected : false;
  const a = String(actual).toLowerCase();
  const e = String(expected).toLowerCase();
  return { eq: a === e, ne: a !== e, co: a.includes(e), sw: a.startsWith(e), ew: a.endsWith(e), gt: a > e, ge: a >= e, lt: a < e, le: a <= e }[op];
}

function reference(subject: Record<string, unknown>, ast: FilterAst): boolean {
  switch (ast.type) {
    case "and": return ast.filters.every((f) => reference(subject, f));
    case "or": return ast.filters.some((f) => reference(subject, f));
    case "not": return !reference(subject, ast.filter);
    case "present": return referenceValues(subject, ast.path).some((v) => v !== "");
    case "compare": {
      const values = referenceValues(subject, ast.path);
      // `ne` holds when no value equals (also when there is none); the others when one value does.
      if (ast.op === "ne") return !values.some((v) => referenceCompare(v, "eq", ast.value));
      return values.some((v) => referenceCompare(v, ast.op, ast.value));
    }
    case "valuePath": {
      const elements = referenceValues(subject, ast.path);
      return elements.some((el) => reference(el as Record<string, unknown>, ast.filter));
    }
  }
}

// ---- properties --------------------------------------------------------------------------

describe("filter parser properties", () => {
  it("parses the canonical printing of any tree back to the same tree", () => {
    fc.assert(
      fc.property(syntaxTree(false), (ast) => {
        expect(parseFilter(printFilter(ast))).toEqual(ast);
      }),
      RUNS,
    );
  });

  it("parses a noisy printing (extra parentheses, any case, extra spaces) back to the same tree", () => {
    fc.assert(
      fc.property(syntaxTree(false), fc.integer(), (ast, seed) => {
        expect(parseFilter(noisyPrint(ast, randomSource(seed)))).toEqual(ast);
      }),
      RUNS,
    );
  });

  it("evaluates the parsed text as the reference evaluator evaluates the tree", () => {
    fc.assert(
      fc.property(semanticTree(false), fc.array(user, { minLength: 1, maxLength: 5 }), fc.integer(), (ast, users, seed) => {
        const parsed = parseFilter(noisyPrint(ast, randomSource(seed)));
        for (const u of users) expect(matchesFilter(u, parsed)).toBe(reference(u as unknown as Record<string, unknown>, ast));
      }),
      RUNS,
    );
  });

  it("never answers anything but a tree or 400 invalidFilter, whatever the text", () => {
    const fragments = fc.constantFrom("(", ")", "[", "]", " ", "not", "and", "or", "pr", "eq", '"x"', '"', "\\", "userName", "emails", ".value", "1", "true", "urn:a:b");
    fc.assert(
      fc.property(fc.array(fragments, { maxLength: 12 }).map((parts) => parts.join(" ")), (textInput) => {
        try {
          parseFilter(textInput);
        } catch (err) {
          expect(err).toMatchObject({ status: 400, scimType: "invalidFilter" });
        }
      }),
      RUNS,
    );
  });
});
