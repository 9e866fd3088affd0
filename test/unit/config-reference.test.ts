import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { envSchema, SETTING_NAMES } from "../../src/config.js";
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

describe("the settings the pages name", () => {
  const root = new URL("../../", import.meta.url);
  const read = (path: string) => readFileSync(new URL(path, root), "utf8");
  const pages = ["README.md", ...readdirSync(new URL("docs/", root)).filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`)];
  /** Variables the pages name that are not the bridge's settings, and the file that gives them their meaning. */
  const notSettings: Record<string, string> = {
    EMULATOR_PORT: "src/emulator/main.ts", // the standalone emulator's own
    EMULATOR_HOST: "src/emulator/main.ts",
    REDIS_PASSWORD: "docker-compose.yml",
    SCIM_TOKEN: "docs/getting-started.md", // a shell variable of the Docker example
  };

  it("are settings of the schema (a renamed or removed setting leaves no page naming the old one)", () => {
    const unknown: string[] = [];
    for (const path of pages) {
      for (const [name] of read(path).matchAll(/\b(?:SCIM|BIGCOMMERCE|SSO|REDIS|REPLICA|AUTH|EMULATOR|TRUST|LOG|PUBLIC)_[A-Z0-9_]*[A-Z0-9]\b/g)) {
        if (SETTING_NAMES.includes(name)) continue;
        const home = notSettings[name];
        if (home === undefined || !read(home).includes(name)) unknown.push(`${path}: ${name}`);
      }
    }
    expect([...new Set(unknown)]).toEqual([]);
  });
});

