/**
 * A minimal Postman script sandbox: the `pm` API subset the SCIMReferenceCode collection uses,
 * evaluated in a `node:vm` context. Unknown chains or APIs throw, so a test that relies on
 * something not shimmed fails loudly instead of passing by accident.
 *
 * Shimmed: pm.test, pm.expect(x).to / .not / .be / .have … .eql / .equal / .include / .contain /
 * .above / .below / .a, pm.response.{code,status,responseTime,json(),text(),headers.get(),
 * to.have.status(), to.be.ok}, pm.environment / pm.variables / pm.collectionVariables get/set,
 * legacy postman.setEnvironmentVariable / getEnvironmentVariable, responseBody, responseCode.
 */
import vm from "node:vm";
import { isDeepStrictEqual } from "node:util";
import type { HttpResult } from "./http.js";

export interface ScriptOutcome {
  tests: { name: string; ok: boolean; error?: string }[];
  /** An error thrown outside pm.test (Postman reports it as a script error). */
  scriptError?: string;
}

class AssertionError extends Error {
  override name = "AssertionError";
}

function show(v: unknown): string {
  try {
    const s = JSON.stringify(v);
    return s === undefined ? String(v) : s.length > 120 ? `${s.slice(0, 120)}…` : s;
  } catch {
    return String(v);
  }
}

/** Deep equality the way chai's `eql` sees it (structural, across vm realms). */
function deepEqual(a: unknown, b: unknown): boolean {
  return isDeepStrictEqual(JSON.parse(JSON.stringify([a])) as unknown, JSON.parse(JSON.stringify([b])) as unknown);
}

const CHAIN_WORDS = ["to", "be", "been", "is", "that", "which", "and", "has", "have", "with", "at", "of", "same", "deep", "does", "still"];

class Assertion {
  private negate = false;

  constructor(private readonly actual: unknown) {
    for (const w of CHAIN_WORDS) Object.defineProperty(this, w, { get: () => this });
    Object.defineProperty(this, "not", {
      get: () => {
        this.negate = !this.negate;
        return this;
      },
    });
  }

  private assert(ok: boolean, message: string): this {
    if (ok === this.negate) throw new AssertionError(`expected ${show(this.actual)} ${this.negate ? "not " : ""}${message}`);
    return this;
  }

  eql(expected: unknown): this {
    return this.assert(deepEqual(this.actual, expected), `to deeply equal ${show(expected)}`);
  }
  eqls(expected: unknown): this {
    return this.eql(expected);
  }
  equal(expected: unknown): this {
    return this.assert(this.actual === expected, `to equal ${show(expected)}`);
  }
  equals(expected: unknown): this {
    return this.equal(expected);
  }
  include(expected: unknown): this {
    const a = this.actual;
    let ok = false;
    if (typeof a === "string") ok = typeof expected === "string" && a.includes(expected);
    else if (Array.isArray(a)) ok = a.some((x) => deepEqual(x, expected));
    else if (a && typeof a === "object" && expected && typeof expected === "object") {
      ok = Object.entries(expected).every(([k, v]) => deepEqual((a as Record<string, unknown>)[k], v));
    }
    return this.assert(ok, `to include ${show(expected)}`);
  }
  contain(expected: unknown): this {
    return this.include(expected);
  }
  includes(expected: unknown): this {
    return this.include(expected);
  }
  above(n: number): this {
    return this.assert(typeof this.actual === "number" && this.actual > n, `to be above ${n}`);
  }
  below(n: number): this {
    return this.assert(typeof this.actual === "number" && this.actual < n, `to be below ${n}`);
  }
  a(type: string): this {
    const t = Array.isArray(this.actual) ? "array" : this.actual === null ? "null" : typeof this.actual;
    return this.assert(t === type.toLowerCase(), `to be a ${type}`);
  }
  an(type: string): this {
    return this.a(type);
  }
  oneOf(list: unknown[]): this {
    return this.assert(list.some((x) => deepEqual(x, this.actual)), `to be one of ${show(list)}`);
  }
  get ok(): this {
    return this.assert(Boolean(this.actual), "to be truthy");
  }
  get true(): this {
    return this.assert(this.actual === true, "to be true");
  }
  get false(): this {
    return this.assert(this.actual === false, "to be false");
  }
  get empty(): this {
    const a = this.actual;
    const empty = typeof a === "string" || Array.isArray(a) ? a.length === 0 : a && typeof a === "object" ? Object.keys(a).length === 0 : false;
    return this.assert(empty, "to be empty");
  }
}

export function runPostmanScript(source: string, res: HttpResult | null, env: Map<string, string>): ScriptOutcome {
  const outcome: ScriptOutcome = { tests: [] };
  const store = {
    get: (k: string) => env.get(k),
    set: (k: string, v: unknown) => void env.set(k, v === undefined ? "" : String(v)),
    has: (k: string) => env.has(k),
    unset: (k: string) => void env.delete(k),
  };
  const response = res
    ? {
        code: res.status,
        status: String(res.status),
        responseTime: Math.round(res.timeMs),
        headers: { get: (h: string) => res.headers.get(h) ?? undefined },
        text: () => res.text,
        json: () => {
          if (res.json === undefined) throw new SyntaxError(`JSONError: response body is not JSON (${show(res.text)})`);
          return res.json;
        },
        to: {
          have: {
            status: (n: number) => {
              if (res.status !== n) throw new AssertionError(`expected response to have status code ${n} but got ${res.status}`);
            },
          },
          be: {
            get ok() {
              if (res.status < 200 || res.status >= 300) throw new AssertionError(`expected response to be ok but got ${res.status}`);
              return true;
            },
          },
        },
      }
    : undefined;
  const pm = {
    test: (name: string, fn: () => void) => {
      try {
        fn();
        outcome.tests.push({ name, ok: true });
      } catch (err) {
        outcome.tests.push({ name, ok: false, error: (err as Error).message });
      }
    },
    expect: (v: unknown) => new Assertion(v),
    response,
    environment: store,
    variables: store,
    collectionVariables: store,
    globals: store,
  };
  const context = vm.createContext({
    pm,
    postman: {
      setEnvironmentVariable: (k: string, v: unknown) => store.set(k, v),
      getEnvironmentVariable: (k: string) => store.get(k),
    },
    responseBody: res?.text,
    responseCode: res ? { code: res.status } : undefined,
    tests: {},
    console: { log: () => undefined },
  });
  try {
    vm.runInContext(source, context, { timeout: 2000 });
  } catch (err) {
    outcome.scriptError = `${(err as Error).name}: ${(err as Error).message}`;
  }
  return outcome;
}
