import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { builtInMappingTable, withBuiltInTable } from "../../src/mapping/mapping-doc.js";
import { USER_ATTRIBUTES } from "../../src/mapping/attribute-table.js";

const page = readFileSync(new URL("../../docs/mapping.md", import.meta.url), "utf8");

describe("docs/mapping.md", () => {
  it("shows the built-in mapping as the attribute table has it (run `npm run docs:mapping` after changing the table)", () => {
    expect(withBuiltInTable(page)).toBe(page);
  });

  it("names every attribute of the table", () => {
    const table = builtInMappingTable();
    for (const row of USER_ATTRIBUTES) {
      if (["schemas", "id", "meta"].includes(row.path)) continue;
      expect(table, row.path).toContain(`\`${row.path}\``);
    }
  });

  it("keeps the headings the addresses and group precedence sections fill in", () => {
    expect(page).toContain("\n## Addresses\n");
    expect(page).toContain("\n## Group precedence\n");
  });
});
