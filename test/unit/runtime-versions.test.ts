import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

/**
 * Issue 19, item 14: Node 20 reached end of life on 2026-04-30. The image ships the current LTS
 * (24), CI runs the suite on it as well, and the engines range still admits Node 20.19 for the
 * README's `npm ci && npm start` / `npm ci && npm test`.
 */
const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), "utf8");

describe("runtime versions", () => {
  it("the Docker image's stages are all on Node 24", () => {
    const froms = [...read("Dockerfile").matchAll(/^FROM\s+(\S+)/gm)].map((m) => m[1]);
    expect(froms.length).toBeGreaterThan(0);
    for (const image of froms) expect(image).toMatch(/^node:24(\.\d+)*-/);
  });

  it("CI runs npm test on Node 24 too", () => {
    expect(read(".ci/run")).toMatch(/npx -y -p node@24 -c '[^']*npm test/);
  });

  it("package.json engines admit Node 20.19 and Node 24", () => {
    const engines = (JSON.parse(read("package.json")) as { engines: { node: string } }).engines.node;
    const minimum = /^>=(\d+)\.(\d+)(?:\.(\d+))?$/.exec(engines.trim());
    expect(minimum, engines).not.toBeNull();
    const [major, minor] = [Number(minimum![1]), Number(minimum![2])];
    expect(major < 20 || (major === 20 && minor <= 19)).toBe(true);
  });
});
