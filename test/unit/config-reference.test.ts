import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { envSchema } from "../../src/config.js";
import { renderConfigurationReference } from "../../src/config-reference.js";

describe("docs/configuration.md", () => {
  const page = readFileSync(fileURLToPath(new URL("../../docs/configuration.md", import.meta.url)), "utf8");

  it("is what the configuration schema generates (run `npm run docs:config` after changing a setting)", () => {
    expect(page).toBe(renderConfigurationReference());
  });

  it("lists every setting of the schema once, with a description", () => {
    for (const name of Object.keys(envSchema.shape)) {
      expect(page.split(`| \`${name}\` |`).length - 1, name).toBe(1);
    }
    expect(page).not.toMatch(/\|\s*\|\s*$/m);
  });

  it("shows the defaults the schema applies", () => {
    expect(page).toContain("| `PORT` | `8080` |");
    expect(page).toContain("| `SCIM_STORED_ATTRIBUTES` | `title,department,employeeNumber,manager` |");
    expect(page).toContain("| `BIGCOMMERCE_MAX_WAIT_MS` | `32000` |");
  });
});
