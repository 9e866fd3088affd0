import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

/** Issue 19, item 5: the README said both "ETags are not offered" and documented them. */
const docsDir = new URL("../../docs/", import.meta.url);
const docs = ["README.md", ...readdirSync(docsDir).map((f) => `docs/${f}`)].map((f) => readFileSync(new URL(`../../${f}`, import.meta.url), "utf8")).join("\n");

describe("the documentation", () => {
  it("documents ETags and never says they are not offered", () => {
    expect(docs).toMatch(/If-None-Match/);
    expect(docs).not.toMatch(/ETags are not (offered|supported)/i);
  });
});
