import { readFileSync } from "node:fs";
import request from "supertest";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { useBridge } from "./helpers.js";

const doc = parse(readFileSync(new URL("../../openapi/openapi.yaml", import.meta.url), "utf8")) as {
  paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
};

/** Every path and method a client could try; served = answered other than "no such endpoint". */
const CANDIDATE_PATHS = [
  "/healthz",
  "/scim/v2/Users",
  "/scim/v2/Users/1",
  "/scim/v2/Users/.search",
  "/scim/v2/Groups",
  "/scim/v2/Groups/1",
  "/scim/v2/Groups/.search",
  "/scim/v2/.search",
  "/scim/v2/Schemas",
  "/scim/v2/Schemas/urn:ietf:params:scim:schemas:core:2.0:User",
  "/scim/v2/ResourceTypes",
  "/scim/v2/ResourceTypes/User",
  "/scim/v2/ServiceProviderConfig",
  "/scim/v2/Bulk",
  "/scim/v2/Me",
  "/scim/v2/Roles",
  "/scim/v2/Entitlements",
  "/scim/v2",
  "/scim/v1/Users",
  "/metrics",
  "/",
];
const METHODS = ["get", "post", "put", "patch", "delete"] as const;

function templateOf(path: string): string | undefined {
  return Object.keys(doc.paths).find((t) => new RegExp(`^${t.replace(/\{[^}]+\}/g, "[^/]+").replace(/\./g, "\\.")}$`).test(path));
}

const b = useBridge();

describe("openapi/openapi.yaml", () => {
  it("describes every route the app serves, with the status it answered", async () => {
    const undocumented: string[] = [];
    for (const path of CANDIDATE_PATHS) {
      for (const method of METHODS) {
        const res = await request(b.url)[method](path).set(b.auth).set("Content-Type", "application/scim+json").send("{}");
        // 405: a known path asked with a method it does not serve (answered with Allow).
        const notServed = (res.status === 404 && /Endpoint (Not Found|not found)/.test(String(res.body?.detail))) || res.status === 405;
        if (notServed) continue;
        const template = templateOf(path);
        const operation = template ? doc.paths[template]?.[method] : undefined;
        if (!operation) {
          undocumented.push(`${method.toUpperCase()} ${path} -> ${res.status}`);
          continue;
        }
        if (!(String(res.status) in operation.responses)) undocumented.push(`${method.toUpperCase()} ${path}: status ${res.status} not documented`);
      }
    }
    expect(undocumented).toEqual([]);
  });

  it("documents no route the app does not serve", async () => {
    for (const [template, ops] of Object.entries(doc.paths)) {
      const path = template.replace("{id}", template.includes("Schemas") ? "urn:ietf:params:scim:schemas:core:2.0:User" : template.includes("ResourceTypes") ? "User" : "1");
      for (const method of Object.keys(ops)) {
        if (!METHODS.includes(method as (typeof METHODS)[number])) continue;
        const res = await request(b.url)[method as (typeof METHODS)[number]](path).set(b.auth).set("Content-Type", "application/scim+json").send("{}");
        expect(`${method} ${path} ${res.status} ${String(res.body?.detail)}`).not.toMatch(/Endpoint (Not Found|not found)/);
      }
    }
  });
});
