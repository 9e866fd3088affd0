import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

/** Issue 8, item 15: outside the development checkout the suites explain what they need (npm run test:e2e: it starts tsx twice). */
const root = fileURLToPath(new URL("../../", import.meta.url));

describe.each([
  ["conformance", "scripts/conformance.ts", /bigcommerce\/specs/],
  ["compat", "scripts/compat/main.ts", /scim-suites/],
])("npm run %s without the shared material", (name, script, needs) => {
  it("exits 2 with a message naming what is missing, not a stack trace", () => {
    const run = spawnSync(process.execPath, [`${root}node_modules/tsx/dist/cli.mjs`, script], {
      cwd: root,
      env: { ...process.env, SHARED_DIR: "/nonexistent/shared-material" },
      encoding: "utf8",
      timeout: 60_000,
    });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain(`npm run ${name}: the shared test material it checks against is missing`);
    expect(run.stderr).toMatch(needs);
    expect(run.stderr).toContain("SHARED_DIR");
    expect(run.stderr).not.toMatch(/ENOENT|\n\s+at /);
  });
});
