import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../../", import.meta.url));
const docs = readdirSync(join(root, "docs")).filter((f) => f.endsWith(".md"));
const pages = ["README.md", "CONTRIBUTING.md", ...docs.map((f) => `docs/${f}`)];
const read = (page: string) => readFileSync(join(root, page), "utf8");

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens. */
const slug = (heading: string) =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, "")
    .replace(/ /g, "-");

function anchorsOf(page: string): Set<string> {
  const text = read(page).replace(/```[\s\S]*?```/g, "");
  return new Set([...text.matchAll(/^#{1,6} (.+)$/gm)].map((m) => slug(m[1]!)));
}

describe("documentation", () => {
  it("has a README whose first page fits on a laptop screen", () => {
    // What it is, the two commands, the first curl, a real store, the quota table, where next.
    expect(read("README.md").trimEnd().split("\n").length).toBeLessThanOrEqual(60);
  });

  it("links every docs/ page from the README", () => {
    const readme = read("README.md");
    for (const file of docs) expect(readme, file).toContain(`(docs/${file})`);
  });

  it("has no link to a page or heading that does not exist", () => {
    const broken: string[] = [];
    for (const page of pages) {
      const text = read(page).replace(/```[\s\S]*?```/g, "");
      for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z]+:/i.test(target!)) continue; // https:, mailto:
        const [file, anchor] = target!.split("#") as [string, string | undefined];
        const resolved = file === "" ? page : join(dirname(page), file);
        if (!existsSync(resolve(root, resolved))) broken.push(`${page}: ${target}`);
        else if (anchor !== undefined && resolved.endsWith(".md") && !anchorsOf(resolved).has(anchor)) broken.push(`${page}: ${target} (no such heading)`);
      }
    }
    expect(broken).toEqual([]);
  });
});
