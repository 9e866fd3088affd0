import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config.js";
import { parseMappingDocument } from "../../src/mapping/mapping-file.js";

const dir = mkdtempSync(join(tmpdir(), "mapping-file-"));
function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const ISSUE_EXAMPLE = {
  attributes: [
    { scim: "urn:ietf:params:scim:schemas:extension:acme:2.0:User:costCenter", customerAttribute: "Cost center" },
    { scim: "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", customerAttribute: "Department" },
    { scim: "title", formField: "Job title" },
  ],
  addresses: { types: ["work"] },
  groupPrecedence: ["Wholesale", "Retail"],
};

describe("SCIM_MAPPING_FILE", () => {
  it("is the built-in mapping (nothing added) when unset or empty", () => {
    expect(loadConfig({}).mapping).toEqual({ attributes: [], addresses: { types: [] }, groupPrecedence: [] });
    expect(loadConfig({ SCIM_MAPPING_FILE: "" }).mapping.attributes).toEqual([]);
  });

  it("reads the documented JSON shape", () => {
    const c = loadConfig({ SCIM_MAPPING_FILE: file("m.json", JSON.stringify(ISSUE_EXAMPLE)) });
    expect(c.mapping).toEqual(ISSUE_EXAMPLE);
  });

  it("reads the same document as YAML", () => {
    const yaml = [
      "attributes:",
      "  - scim: urn:ietf:params:scim:schemas:extension:acme:2.0:User:costCenter",
      "    customerAttribute: Cost center",
      "    type: number",
      "addresses: { types: [work, home] }",
    ].join("\n");
    const c = loadConfig({ SCIM_MAPPING_FILE: file("m.yaml", yaml) });
    expect(c.mapping.attributes).toEqual([{ scim: "urn:ietf:params:scim:schemas:extension:acme:2.0:User:costCenter", customerAttribute: "Cost center", type: "number" }]);
    expect(c.mapping.addresses.types).toEqual(["work", "home"]);
  });

  it.each([
    [{ attributes: [{ scim: "title" }] }, /attributes\[0\]/],
    [{ attributes: [{ scim: "title", customerAttribute: "A", formField: "B" }] }, /attributes\[0\]/],
    [{ attributes: [{ scim: "a.b.c", customerAttribute: "A" }] }, /attributes\[0\]\.scim/],
    [{ attributes: [{ scim: "__proto__", customerAttribute: "A" }] }, /attributes\[0\]\.scim/],
    [{ attributes: [{ scim: "title", customerAttribute: "A", type: "boolean" }] }, /attributes\[0\]\.type/],
    [{ attributes: [{ scim: "title", customerAttribute: "A" }, { scim: "Title", customerAttribute: "B" }] }, /attributes\[1\]\.scim: maps Title again/],
    [{ addresses: { types: ["work", "Work"] } }, /addresses\.types\[1\]/],
    [{ groupPrecedence: ["Retail", "retail"] }, /groupPrecedence\[1\]/],
    [{ extra: true }, /extra|unrecognized/i],
  ])("refuses %j naming the entry", (doc, message) => {
    const path = file("bad.json", JSON.stringify(doc));
    expect(() => loadConfig({ SCIM_MAPPING_FILE: path })).toThrow(ConfigError);
    expect(() => loadConfig({ SCIM_MAPPING_FILE: path })).toThrow(message);
  });

  it("names the variable when the file cannot be read or parsed", () => {
    expect(() => loadConfig({ SCIM_MAPPING_FILE: join(dir, "missing.json") })).toThrow(/SCIM_MAPPING_FILE: .*cannot be read \(ENOENT\)/);
    expect(() => loadConfig({ SCIM_MAPPING_FILE: file("broken.json", "{") })).toThrow(/SCIM_MAPPING_FILE: .*cannot be parsed as JSON/);
  });

  it("accepts sub-attributes and extension URNs", () => {
    const doc = parseMappingDocument(JSON.stringify({ attributes: [{ scim: "name.honorificPrefix", formField: "Salutation" }, { scim: "urn:ietf:params:scim:schemas:extension:Contoso:2.0:User:region", customerAttribute: "Region" }] }), "m.json");
    expect(doc.attributes.map((a) => a.scim)).toEqual(["name.honorificPrefix", "urn:ietf:params:scim:schemas:extension:Contoso:2.0:User:region"]);
  });
});
