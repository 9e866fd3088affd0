import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

/** Issue 19, item 5: the README said both "ETags are not offered" and documented them. */
const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");

describe("the README", () => {
  it("documents ETags and never says they are not offered", () => {
    expect(readme).toMatch(/If-None-Match/);
    expect(readme).not.toMatch(/ETags are not (offered|supported)/i);
  });
});
