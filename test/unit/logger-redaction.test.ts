import { describe, expect, it } from "vitest";
import { logLinesInto } from "../../src/dev/bridge-harness.js";
import { createLogger } from "../../src/logger.js";

/**
 * docs/operations.md (logs): `authorization`, `x-auth-token`, `accessToken`, `password` and
 * `new_password` are censored at the top of a log entry and in its `headers` and `req.headers`
 * (passwords also one and two levels down), at every level.
 */
const LEVELS = ["trace", "debug", "info", "warn", "error", "fatal"] as const;
const SECRET = "s3cret-value-never-logged";

/** The shapes the redaction covers, as an entry might carry them. */
const ENTRIES: Record<string, object> = {
  "req.headers": { req: { headers: { authorization: `Bearer ${SECRET}`, "x-auth-token": SECRET, accept: "application/json" } } },
  headers: { headers: { authorization: `Bearer ${SECRET}`, "x-auth-token": SECRET } },
  "top level": { authorization: `Bearer ${SECRET}`, "x-auth-token": SECRET, accessToken: SECRET, password: SECRET, new_password: SECRET },
  "one level down": { upstream: { accessToken: SECRET }, body: { password: SECRET, new_password: SECRET } },
  "two levels down": { body: { authentication: { new_password: SECRET }, customer: { password: SECRET } } },
};

describe("log redaction", () => {
  for (const level of LEVELS) {
    it(`censors secrets at ${level}`, () => {
      const lines: string[] = [];
      const logger = createLogger("trace", logLinesInto(lines));
      for (const [shape, entry] of Object.entries(ENTRIES)) logger[level](entry, shape);
      expect(lines).toHaveLength(Object.keys(ENTRIES).length);
      for (const line of lines) {
        expect(line).not.toContain(SECRET);
        expect(line).toContain('"[redacted]"');
      }
      // What is not a secret stays readable.
      expect(lines[0]).toContain('"accept":"application/json"');
    });
  }
});
