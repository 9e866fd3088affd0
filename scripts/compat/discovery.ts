/**
 * Discovery documents validated against the draft-04 JSON Schemas of suvera's
 * scim2-compliance-test-utility (suvera-schemas/): /ServiceProviderConfig, /ResourceTypes (the
 * list and each one), /Schemas (the list and each one; the core User and Group schema
 * definitions additionally against CoreUser / CoreGroup).
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import ajvDraft04 from "ajv-draft-04";
import { startBridge } from "../../src/dev/bridge-harness.js";
import { brief, send } from "./lib/http.js";
import { SuiteReport } from "./lib/report.js";

const CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User";
const CORE_GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group";

export async function runDiscovery(sharedDir: string): Promise<SuiteReport> {
  const report = new SuiteReport("Discovery documents vs suvera JSON Schemas");
  const dir = path.join(sharedDir, "scim-suites/suvera-schemas");
  // ajv-draft-04 is CommonJS: under NodeNext the class is the `default` of `module.exports`.
  const Ajv04 = ajvDraft04.default;
  const ajv = new Ajv04({ strict: false, allErrors: true });
  const load = async (name: string) => ajv.compile(JSON.parse(await readFile(path.join(dir, `${name}.schema.json`), "utf8")) as object);
  const validators = {
    spc: await load("ServiceProviderConfig"),
    resourceTypes: await load("ResourceTypes"),
    resourceType: await load("ResourceType"),
    schemas: await load("Schemas"),
    schema: await load("Schema"),
    coreUser: await load("CoreUser"),
    coreGroup: await load("CoreGroup"),
  };

  const bridge = await startBridge();
  try {
    const get = (p: string) => send({ method: "GET", url: `${bridge.url}/scim/v2${p}`, headers: { ...bridge.auth, Accept: "application/scim+json" } });
    const validate = async (label: string, p: string, fns: ((d: unknown) => boolean)[], names: string[]) => {
      const rec = report.begin(`${label} (GET ${p})`);
      const res = await get(p);
      if (!rec.check("200 with a JSON body", res.status === 200 && res.json !== undefined, brief(res))) return undefined;
      fns.forEach((fn, i) => {
        const ok = fn(res.json);
        const errors = (fn as unknown as { errors?: { instancePath: string; message?: string }[] }).errors ?? [];
        rec.check(`valid against ${names[i]}.schema.json`, ok, errors.map((e) => `${e.instancePath || "/"} ${e.message ?? ""}`).join("; "));
      });
      return res.json as { Resources?: { id: string }[] };
    };

    await validate("ServiceProviderConfig", "/ServiceProviderConfig", [validators.spc], ["ServiceProviderConfig"]);
    const types = await validate("ResourceTypes list", "/ResourceTypes", [validators.resourceTypes], ["ResourceTypes"]);
    for (const rt of types?.Resources ?? []) {
      await validate(`ResourceType ${rt.id}`, `/ResourceTypes/${encodeURIComponent(rt.id)}`, [validators.resourceType], ["ResourceType"]);
    }
    const schemas = await validate("Schemas list", "/Schemas", [validators.schemas], ["Schemas"]);
    for (const s of schemas?.Resources ?? []) {
      const fns = [validators.schema];
      const names = ["Schema"];
      if (s.id === CORE_USER) {
        fns.push(validators.coreUser);
        names.push("CoreUser");
      }
      if (s.id === CORE_GROUP) {
        fns.push(validators.coreGroup);
        names.push("CoreGroup");
      }
      await validate(`Schema ${s.id}`, `/Schemas/${s.id}`, fns, names);
    }
    const ids = (schemas?.Resources ?? []).map((s) => s.id);
    const rec = report.begin("Schemas include the core User and Group schemas");
    rec.check("User and Group present", ids.includes(CORE_USER) && ids.includes(CORE_GROUP), JSON.stringify(ids));
  } finally {
    await bridge.close();
  }
  return report;
}
