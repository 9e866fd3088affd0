/** Writes the built-in mapping table into docs/mapping.md (from src/mapping/attribute-table.ts). */
import { readFileSync, writeFileSync } from "node:fs";
import { withBuiltInTable } from "../src/mapping/mapping-doc.js";

const path = new URL("../docs/mapping.md", import.meta.url);
writeFileSync(path, withBuiltInTable(readFileSync(path, "utf8")));
console.log("docs/mapping.md: built-in mapping table written");
