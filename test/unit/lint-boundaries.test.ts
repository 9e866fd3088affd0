import { ESLint } from "eslint";
import { describe, expect, it } from "vitest";

/**
 * The layering rules of eslint.config.js fail the lint on a forbidden import (and on matching a
 * BigCommerce error by its code string, and on building the bridge outside the composition root),
 * and allow the sanctioned route. Checked by linting
 * snippets as if they were files at the given paths.
 */
const eslint = new ESLint({ cwd: process.cwd() });

async function problems(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return result!.messages.map((m) => `${m.ruleId ?? "parse"}: ${m.message}`);
}

describe("lint: layer boundaries", () => {
  it.each([
    ["src/mapping/new-file.ts", 'import { invalidValue } from "../scim/errors.js";\nexport const f = invalidValue;\n', /mapping is pure translation/],
    ["src/mapping/new-file.ts", 'import { Metrics } from "../http/metrics.js";\nexport const f = Metrics;\n', /mapping is pure translation/],
    ["src/scim/users/new-file.ts", 'import { toCustomerId } from "../../bigcommerce/ids.js";\nexport const f = toCustomerId;\n', /only through bigcommerce\/index\.ts/],
    ["src/http/new-file.ts", 'import { startBridge } from "../../test/support/bridge-harness.js";\nexport const f = startBridge;\n', /must not depend on tests or scripts/],
    ["src/new-file.ts", 'import { run } from "../scripts/bench.js";\nexport const f = run;\n', /must not depend on tests or scripts/],
    ["scripts/compat/new-file.ts", 'import { api } from "../../test/integration/helpers.js";\nexport const f = api;\n', /scripts must not depend on tests/],
    ["src/scim/new-file.ts", 'export const isConflict = (e: { code?: string }) => e.code === "BC_CONFLICT";\n', /by class/],
    // The bridge is built only by the composition root (src/compose.ts).
    ["src/main.ts", 'import { createApp } from "./app.js";\nexport const f = createApp;\n', /through src\/compose\.ts/],
    ["src/dev/new-file.ts", 'import { createBigCommerceClient } from "../bigcommerce/client.js";\nexport const f = createBigCommerceClient;\n', /through src\/compose\.ts/],
    ["src/scim/new-file.ts", 'import { createBigCommerceClient } from "../bigcommerce/index.js";\nexport const f = createBigCommerceClient;\n', /through src\/compose\.ts/],
    ["src/mapping/new-file.ts", 'import { createApp } from "../app.js";\nexport const f = createApp;\n', /through src\/compose\.ts/],
    ["test/integration/new-file.ts", 'import { createApp } from "../../src/app.js";\nexport const f = createApp;\n', /through src\/compose\.ts/],
    ["test/integration/new-file.ts", 'import { createBigCommerceClient } from "../../src/bigcommerce/client.js";\nexport const f = createBigCommerceClient;\n', /through src\/compose\.ts/],
    ["test/sso/new-file.ts", 'import * as app from "../../src/app.js";\nexport const f = app;\n', /through src\/compose\.ts/],
    ["test/bigcommerce/new-file.ts", 'import { createApp } from "../../src/app.js";\nexport const f = createApp;\n', /through src\/compose\.ts/],
    ["scripts/new-file.ts", 'import { createBigCommerceClient } from "../src/bigcommerce/client.js";\nexport const f = createBigCommerceClient;\n', /through src\/compose\.ts/],
    ["scripts/bench-pacing.ts", 'import { createApp } from "../src/app.js";\nexport const f = createApp;\n', /through src\/compose\.ts/],
    ["src/bigcommerce/new-file.ts", 'import { createApp } from "../app.js";\nexport const f = createApp;\n', /through src\/compose\.ts/],
  ])("%s: %j is refused", async (filePath, code, message) => {
    const found = await problems(filePath, code);
    expect(found.some((p) => message.test(p)), found.join("\n")).toBe(true);
  });

  it.each([
    ["src/mapping/new-file.ts", 'import { invalidValue } from "../scim-error.js";\nexport const f = invalidValue;\n'],
    ["src/scim/users/new-file.ts", 'import { toCustomerId, ConflictError } from "../../bigcommerce/index.js";\nexport const f = (e: unknown) => e instanceof ConflictError && toCustomerId("1");\n'],
    ["test/integration/new-file.ts", 'import { startBridge } from "../support/bridge-harness.js";\nexport const f = startBridge;\n'],
    ["scripts/new-file.ts", 'import { startBridge } from "../src/dev/bridge-harness.js";\nexport const f = startBridge;\n'],
    ["src/compose.ts", 'import { createApp } from "./app.js";\nimport { createBigCommerceClient } from "./bigcommerce/client.js";\nexport const f = [createApp, createBigCommerceClient];\n'],
    ["src/dev/new-file.ts", 'import type { Bridge } from "../app.js";\nimport type { BigCommerceClientHandle } from "../bigcommerce/client.js";\nexport type F = [Bridge, BigCommerceClientHandle];\n'],
    ["test/bigcommerce/new-file.ts", 'import { createBigCommerceClient } from "../../src/bigcommerce/client.js";\nexport const f = createBigCommerceClient;\n'],
    ["scripts/bench-pacing.ts", 'import { createBigCommerceClient } from "../src/bigcommerce/client.js";\nexport const f = createBigCommerceClient;\n'],
    ["src/bigcommerce/index.ts", 'export { createBigCommerceClient } from "./client.js";\n'],
    ["test/integration/new-file.ts", 'import { createEmulatorApp } from "../../src/emulator/index.js";\nexport const f = createEmulatorApp;\n'],
  ])("%s: %j is allowed", async (filePath, code) => {
    expect(await problems(filePath, code)).toEqual([]);
  });
});
