/**
 * Conformance of the emulator against BigCommerce's own material (CI: `npm run conformance`):
 * each call's answer is validated against the response schema of the matching operation in
 * ../shared/bigcommerce/specs (OpenAPI, $refs resolved) and compared with the captured
 * responses in ../shared/bigcommerce/fixtures (same keys, same JSON types, same error texts).
 * Prints one line per check and ends with `conformance: N passed, M failed`.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Ajv } from "ajv";
import YAML from "yaml";
import { type RunningEmulator, startEmulator } from "../src/emulator/index.js";
import { sharedMaterial } from "./shared-material.js";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const shared = sharedMaterial(repoRoot, "npm run conformance", ["bigcommerce/specs", "bigcommerce/fixtures/johnhebron-bigcommerce-api-v3/customers"]);
const fixtures = path.join(shared, "bigcommerce/fixtures/johnhebron-bigcommerce-api-v3/customers");

type Json = unknown;
type Spec = { paths: Record<string, Record<string, any>>; components: Record<string, any> };

function loadSpec(file: string): Spec {
  return YAML.parse(readFileSync(path.join(shared, "bigcommerce/specs", file), "utf8")) as Spec;
}

/** Inlines every local $ref (the specs have no cycles on the paths we use). */
function deref(node: Json, root: Spec, seen: string[] = []): Json {
  if (Array.isArray(node)) return node.map((item) => deref(item, root, seen));
  if (node === null || typeof node !== "object") return node;
  const obj = node as Record<string, Json>;
  if (typeof obj.$ref === "string") {
    const ref = obj.$ref;
    if (seen.includes(ref)) return {};
    const target = ref
      .replace(/^#\//, "")
      .split("/")
      .reduce<any>((at, key) => at?.[key.replace(/~1/g, "/").replace(/~0/g, "~")], root);
    if (target === undefined) throw new Error(`unresolved $ref ${ref}`);
    return deref(target, root, [...seen, ref]);
  }
  return Object.fromEntries(Object.entries(obj).map(([key, value]) => [key, deref(value, root, seen)]));
}

const v3 = loadSpec("customers.v3.yml");
const v2 = loadSpec("customers.v2.yml");
const channels = loadSpec("channels.v3.yml");
// Spec errata, each contradicted by captured responses, patched before validating:
// - customer channel_ids is `null` for global customers (fixtures), the spec types it array only;
v3.components.schemas.customerChannelIds.nullable = true;
// - an empty discount_rules array matches all four `oneOf` branches, so no real group validates.
const groupRules = v2.components.schemas.customerGroup_Full.properties.discount_rules;
groupRules.anyOf = groupRules.oneOf;
delete groupRules.oneOf;

// - channel settings: `null` means "no override, inherit" (the operation's own description and
//   its PUT example show nulls), yet the schema types every field as non-null.
for (const section of Object.values(v3.components.schemas.CustomerChannelSettingsObject.properties) as any[]) {
  section.nullable = true;
  for (const leaf of Object.values(section.properties ?? {}) as any[]) leaf.nullable = true;
}

const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });

function responseSchema(spec: Spec, route: string, method: string, status: string): object {
  const operation = spec.paths[route]?.[method];
  if (operation === undefined) throw new Error(`no operation ${method.toUpperCase()} ${route} in spec`);
  const response = deref(operation.responses?.[status], spec) as any;
  const schema = response?.content?.["application/json"]?.schema;
  if (schema === undefined) throw new Error(`no JSON schema for ${method.toUpperCase()} ${route} ${status}`);
  return schema as object;
}

function fixture(name: string): any {
  return JSON.parse(readFileSync(path.join(fixtures, name), "utf8"));
}

function jsonType(value: Json): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value;
}

let passed = 0;
let failed = 0;
async function check(name: string, run: () => Promise<void> | void): Promise<void> {
  try {
    await run();
    passed += 1;
    console.log(`ok   ${name}`);
  } catch (error) {
    failed += 1;
    console.log(`FAIL ${name}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function assert(condition: boolean, message: string): void {
  if (!condition) throw new Error(message);
}

function assertSchema(spec: Spec, route: string, method: string, status: string, body: Json): void {
  const validate = ajv.compile(responseSchema(spec, route, method, status));
  if (!validate(body)) {
    throw new Error(`schema ${method.toUpperCase()} ${route} ${status}: ${ajv.errorsText(validate.errors, { separator: "; " })}`);
  }
}

/**
 * Same keys and same JSON types as the fixture object, recursively. `extra` lists keys we may
 * add at any depth (allowed by the spec, absent from an older capture); `skipTypes` keys whose
 * fixture value was hand-edited.
 */
function assertSameShape(actual: Json, expected: Json, where: string, extra: string[] = [], skipTypes: string[] = []): void {
  assert(jsonType(actual) === jsonType(expected), `${where}: type ${jsonType(actual)} != fixture ${jsonType(expected)}`);
  if (jsonType(expected) !== "object") return;
  const a = actual as Record<string, Json>;
  const e = expected as Record<string, Json>;
  const missing = Object.keys(e).filter((k) => !(k in a));
  const added = Object.keys(a).filter((k) => !(k in e) && !extra.includes(k));
  assert(missing.length === 0 && added.length === 0, `${where}: keys missing [${missing.join(", ")}], unexpected [${added.join(", ")}]`);
  for (const key of Object.keys(e)) {
    if (skipTypes.includes(key)) continue;
    const ev = e[key];
    const av = a[key];
    if (jsonType(ev) === "object") assertSameShape(av, ev, `${where}.${key}`, extra, skipTypes);
    else if (jsonType(ev) === "array" && Array.isArray(av) && (ev as Json[]).length > 0 && av.length > 0) {
      assertSameShape(av[0], (ev as Json[])[0], `${where}.${key}[0]`, extra, skipTypes);
    } else assert(jsonType(av) === jsonType(ev), `${where}.${key}: type ${jsonType(av)} != fixture ${jsonType(ev)}`);
  }
}

/** Fixture keys must all be present (for docs-example fixtures that omit keys real responses carry). */
function assertHasFixtureKeys(actual: Json, expected: Json, where: string): void {
  const a = actual as Record<string, Json>;
  const missing = Object.keys(expected as object).filter((k) => !(k in a));
  assert(missing.length === 0, `${where}: keys missing [${missing.join(", ")}]`);
}

function assertEqual(actual: Json, expected: Json, where: string): void {
  assert(JSON.stringify(actual) === JSON.stringify(expected), `${where}: ${JSON.stringify(actual)} != ${JSON.stringify(expected)}`);
}

// `links` is in the spec's Pagination and seen across V3; `cursor_pagination` was added in 2025,
// after these captures (2023).
const PAGINATION_EXTRAS = ["links"];
const META_EXTRAS = ["cursor_pagination", "links"];

async function main(): Promise<void> {
  const emu: RunningEmulator = await startEmulator({ port: 0, rateQuota: 100_000 });
  const base = `${emu.url}/stores/conformance`;
  const call = async (method: string, route: string, body?: Json): Promise<{ status: number; text: string; body: any; headers: Headers }> => {
    const response = await fetch(base + route, {
      method,
      headers: { "X-Auth-Token": "conformance", Accept: "application/json", ...(body === undefined ? {} : { "Content-Type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, text, body: text === "" ? undefined : JSON.parse(text), headers: response.headers };
  };
  const started = Date.now();

  try {
    await check("GET /v3/customers (empty store) matches spec and retrieve/no_records_200 keys", async () => {
      const r = await call("GET", "/v3/customers");
      assert(r.status === 200, `status ${r.status}`);
      assertSchema(v3, "/customers", "get", "200", r.body);
      assertSameShape(r.body.meta, fixture("retrieve/no_records_200.json").meta, "meta", META_EXTRAS);
      assertSameShape(r.body.meta.pagination, fixture("retrieve/no_records_200.json").meta.pagination, "meta.pagination", PAGINATION_EXTRAS);
      assertEqual(r.body.data, [], "data");
    });

    await check("POST /v3/customers (one) matches spec and create/201 shape and defaults", async () => {
      const r = await call("POST", "/v3/customers", [{ email: "sally@smithers.org", first_name: "Sally", last_name: "Smithers" }]);
      assert(r.status === 200, `status ${r.status}`);
      assertSchema(v3, "/customers", "post", "200", r.body);
      const expected = fixture("create/201.json");
      assertSameShape(r.body, expected, "body");
      assertSameShape(r.body.data[0], expected.data[0], "data[0]");
      for (const key of ["company", "customer_group_id", "notes", "phone", "registration_ip_address", "tax_exempt_category", "store_credit_amounts", "origin_channel_id", "channel_ids", "authentication"]) {
        assertEqual(r.body.data[0][key], expected.data[0][key], `data[0].${key}`);
      }
      assertEqual(Object.keys(r.body.data[0]), Object.keys(expected.data[0]), "key order");
    });

    await check("POST /v3/customers (batch) keeps request order and bulk_create/201 shape", async () => {
      const r = await call("POST", "/v3/customers", [
        { email: "bobby.bob@bobberton.co", first_name: "Bobby", last_name: "Bob" },
        { email: "Nina.Ni@nina.co", first_name: "Nina", last_name: "Ni" },
      ]);
      assertSchema(v3, "/customers", "post", "200", r.body);
      const expected = fixture("bulk_create/201.json");
      assertEqual(r.body.data.map((c: any) => c.email), expected.data.map((c: any) => c.email), "emails in order");
      r.body.data.forEach((c: Json, i: number) => assertSameShape(c, expected.data[i], `data[${i}]`));
      assert(r.body.data[0].id < r.body.data[1].id, "ids ascend in request order");
    });

    await check("POST duplicate email equals create/422 exactly", async () => {
      const r = await call("POST", "/v3/customers", [{ email: "sally@smithers.org", first_name: "Sally", last_name: "Smithers" }]);
      assert(r.status === 422, `status ${r.status}`);
      assertSchema(v3, "/customers", "post", "422", r.body);
      assertEqual(r.body, fixture("create/422.json"), "body");
    });

    await check("POST duplicate in a batch equals bulk_create/422 exactly", async () => {
      const r = await call("POST", "/v3/customers", [
        { email: "bobby.bob@bobberton.co", first_name: "Bobby", last_name: "Bob" },
        { email: "someone.new@example.com", first_name: "New", last_name: "One" },
      ]);
      assertEqual(r.body, fixture("bulk_create/422.json"), "body");
    });

    await check("POST with 11 items is 413 in the ErrorResponse shape", async () => {
      const items = Array.from({ length: 11 }, (_, i) => ({ email: `x${i}@example.com`, first_name: "X", last_name: "Y" }));
      const r = await call("POST", "/v3/customers", items);
      assert(r.status === 413, `status ${r.status}`);
      assertSchema(v3, "/customers", "post", "422", r.body);
    });

    await check("GET /v3/customers?id:in= matches retrieve/200 keys (no store credit without include)", async () => {
      const r = await call("GET", "/v3/customers?id:in=1");
      assertSchema(v3, "/customers", "get", "200", r.body);
      const expected = fixture("retrieve/200.json");
      // retrieve/200.json was hand-edited ("channel_ids": "nil"): compare keys, not that type.
      assertSameShape(r.body.data[0], expected.data[0], "data[0]", [], ["channel_ids"]);
      assertSameShape(r.body.meta.pagination, expected.meta.pagination, "meta.pagination", PAGINATION_EXTRAS);
    });

    await check("GET /v3/customers?include=storecredit matches retrieve/with_params_200", async () => {
      const r = await call("GET", "/v3/customers?id:in=1&include=storecredit");
      assertSchema(v3, "/customers", "get", "200", r.body);
      const expected = fixture("retrieve/with_params_200.json");
      assertSameShape(r.body.data[0], expected.data[0], "data[0]");
      assertSameShape(r.body.meta, expected.meta, "meta", META_EXTRAS);
    });

    await check("GET /v3/customers?include=addresses,... carries the docs example's keys", async () => {
      await call("POST", "/v3/customers/addresses", [
        { customer_id: 1, first_name: "Sally", last_name: "Smithers", address1: "Addr1", city: "Austin", state_or_province: "Texas", postal_code: "78759", country_code: "US", phone: "555" },
      ]);
      const r = await call("GET", "/v3/customers?include=addresses,storecredit,attributes,formfields");
      assertSchema(v3, "/customers", "get", "200", r.body);
      const example = fixture("list/200.json").data[0];
      const sally = r.body.data.find((c: any) => c.id === 1);
      assertHasFixtureKeys(sally, example, "data[0]");
      assertHasFixtureKeys(sally.addresses[0], example.addresses[0], "data[0].addresses[0]");
    });

    await check("GET past the last page matches list/with_params_no_records_200 links", async () => {
      await call("POST", "/v3/customers", [{ email: "fourth@example.com", first_name: "F", last_name: "F" }]);
      const r = await call("GET", "/v3/customers?limit=50&page=30");
      assertSchema(v3, "/customers", "get", "200", r.body);
      const expected = fixture("list/with_params_no_records_200.json");
      assertEqual(r.body.data, [], "data");
      assertEqual(r.body.meta.pagination.links, expected.meta.pagination.links, "links");
      assertSameShape(r.body.meta.pagination, expected.meta.pagination, "meta.pagination");
      assertEqual(r.body.meta.pagination.total, 4, "total");
    });

    await check("GET unknown filter equals list/422 exactly", async () => {
      const r = await call("GET", "/v3/customers?foo=bar");
      assertSchema(v3, "/customers", "get", "422", r.body);
      assertEqual(r.body, fixture("list/422.json"), "body");
    });

    await check("GET non-integer id:in is the observed 422", async () => {
      const r = await call("GET", "/v3/customers?id:in=hello");
      assertSchema(v3, "/customers", "get", "422", r.body);
      assertEqual(r.body.title, 'Query parameter "id:in" value may contain only integer values. For input string: "hello".', "title");
      assertEqual(r.body.errors, {}, "errors");
    });

    await check("PUT /v3/customers (one) matches update/200", async () => {
      const r = await call("PUT", "/v3/customers", [{ id: 1, first_name: "Sal" }]);
      assertSchema(v3, "/customers", "put", "200", r.body);
      assertSameShape(r.body, fixture("update/200.json"), "body");
      assertSameShape(r.body.data[0], fixture("update/200.json").data[0], "data[0]");
    });

    await check("PUT /v3/customers (batch) matches bulk_update/200 and singular_200", async () => {
      const r = await call("PUT", "/v3/customers", [
        { id: 1, first_name: "Bert" },
        { id: 3, first_name: "Ernie" },
      ]);
      assertSchema(v3, "/customers", "put", "200", r.body);
      r.body.data.forEach((c: Json, i: number) => assertSameShape(c, fixture("bulk_update/200.json").data[i], `data[${i}]`));
      const one = await call("PUT", "/v3/customers", [{ id: 1, first_name: "Samantha" }]);
      assertSameShape(one.body.data[0], fixture("bulk_update/singular_200.json").data[0], "singular data[0]");
      assert(one.body.data[0].date_modified >= one.body.data[0].date_created, "date_modified not before date_created");
    });

    await check("PUT unknown id equals update/422 and bulk_update/422 exactly", async () => {
      const r = await call("PUT", "/v3/customers", [{ id: 9999, first_name: "X" }]);
      assertSchema(v3, "/customers", "put", "422", r.body);
      assertEqual(r.body, fixture("update/422.json"), "update/422");
      assertEqual(r.body, fixture("bulk_update/422.json"), "bulk_update/422");
    });

    await check("PUT [42] equals bulk_update/invalid_params_422 exactly", async () => {
      const r = await call("PUT", "/v3/customers", [42]);
      assertEqual(r.body, fixture("bulk_update/invalid_params_422.json"), "body");
    });

    await check("attributes: POST, GET, PUT match the spec", async () => {
      const created = await call("POST", "/v3/customers/attributes", [{ name: "Tier", type: "string" }, { name: "Joined", type: "date" }]);
      assertSchema(v3, "/customers/attributes", "post", "200", created.body);
      const list = await call("GET", "/v3/customers/attributes?type=string");
      assertSchema(v3, "/customers/attributes", "get", "200", list.body);
      assertEqual(list.body.data.length, 1, "filtered count");
      const put = await call("PUT", "/v3/customers/attributes", [{ id: 2, name: "Date Joined" }]);
      assertSchema(v3, "/customers/attributes", "put", "200", put.body);
      const bad = await call("GET", "/v3/customers/attributes?name:in=Tier");
      assertEqual(bad.body.title, "The filter(s): name:in are not valid filter parameter(s).", "name:in title");
    });

    await check("attribute values: PUT takes value, GET answers attribute_value (spec)", async () => {
      const put = await call("PUT", "/v3/customers/attribute-values", [{ attribute_id: 1, customer_id: 1, value: "gold" }]);
      assertSchema(v3, "/customers/attribute-values", "put", "200", put.body);
      const list = await call("GET", "/v3/customers/attribute-values?customer_id:in=1");
      assertSchema(v3, "/customers/attribute-values", "get", "200", list.body);
      assert(list.body.data[0].attribute_value === "gold" && !("value" in list.body.data[0]), "attribute_value naming");
      const bad = await call("PUT", "/v3/customers/attribute-values", [{ attribute_id: 1, customer_id: 1, value: "x".repeat(256) }]);
      assertSchema(v3, "/customers/attribute-values", "put", "422", bad.body);
    });

    await check("addresses: POST, duplicate POST, GET, PUT match the spec", async () => {
      const address = { customer_id: 3, first_name: "Nina", last_name: "Ni", address1: "1 Main", city: "Akron", state_or_province: "Ohio", postal_code: "44325", country_code: "US" };
      const created = await call("POST", "/v3/customers/addresses", [address]);
      assertSchema(v3, "/customers/addresses", "post", "200", created.body);
      const duplicate = await call("POST", "/v3/customers/addresses", [address]);
      assertSchema(v3, "/customers/addresses", "post", "200", duplicate.body);
      assert(duplicate.status === 200 && duplicate.body.data === undefined, "duplicate omitted");
      const list = await call("GET", "/v3/customers/addresses?customer_id:in=3&include=formfields");
      assertSchema(v3, "/customers/addresses", "get", "200", list.body);
      const put = await call("PUT", "/v3/customers/addresses", [{ id: created.body.data[0].id, city: "Dayton" }]);
      assertSchema(v3, "/customers/addresses", "put", "200", put.body);
    });

    await check("metafields (batch): POST, GET, PUT, DELETE and partial success match the spec", async () => {
      const item = { resource_id: 1, namespace: "scim", key: "externalId", value: "ext-1", permission_set: "app_only" };
      const created = await call("POST", "/v3/customers/metafields", [item]);
      assertSchema(v3, "/customers/metafields", "post", "200", created.body);
      const list = await call("GET", "/v3/customers/metafields?namespace=scim&key:in=externalId");
      assertSchema(v3, "/customers/metafields", "get", "200", list.body);
      const put = await call("PUT", "/v3/customers/metafields", [{ id: created.body.data[0].id, value: "ext-2" }]);
      assertSchema(v3, "/customers/metafields", "put", "200", put.body);
      const partial = await call("POST", "/v3/customers/metafields", [item, { ...item, key: "other" }]);
      assert(partial.status === 422, `partial status ${partial.status}`);
      assertSchema(v3, "/customers/metafields", "post", "422", partial.body);
      const deleted = await call("DELETE", "/v3/customers/metafields", [created.body.data[0].id]);
      assertSchema(v3, "/customers/metafields", "delete", "200", deleted.body);
      const missing = await call("DELETE", "/v3/customers/metafields", [424242]);
      assertSchema(v3, "/customers/metafields", "delete", "422", missing.body);
    });

    await check("metafields (per customer): POST, GET one, 409 duplicate match the spec", async () => {
      const body = { namespace: "scim", key: "id", value: "u-1", permission_set: "app_only" };
      const created = await call("POST", "/v3/customers/1/metafields", body);
      assertSchema(v3, "/customers/{customerId}/metafields", "post", "200", created.body);
      const dup = await call("POST", "/v3/customers/1/metafields", body);
      assert(dup.status === 409, `status ${dup.status}`);
      assertSchema(v3, "/customers/{customerId}/metafields", "post", "409", dup.body);
      const one = await call("GET", `/v3/customers/1/metafields/${created.body.data[0].id}`);
      assertSchema(v3, "/customers/{customerId}/metafields/{metafieldId}", "get", "200", one.body);
      const list = await call("GET", "/v3/customers/1/metafields");
      assertSchema(v3, "/customers/{customerId}/metafields", "get", "200", list.body);
    });

    await check("settings and channel settings match the spec", async () => {
      assertSchema(v3, "/customers/settings", "get", "200", (await call("GET", "/v3/customers/settings")).body);
      const put = await call("PUT", "/v3/customers/settings", { privacy_settings: { ask_shopper_for_tracking_consent: true } });
      assertSchema(v3, "/customers/settings", "put", "200", put.body);
      assertSchema(v3, "/customers/settings/channels/{channel_id}", "get", "200", (await call("GET", "/v3/customers/settings/channels/1")).body);
    });

    await check("channels: GET list, POST, GET one, 404, 422, 409 match the spec", async () => {
      const list = await call("GET", "/v3/channels");
      assert(list.status === 200, `list status ${list.status}`);
      assertSchema(channels, "/channels", "get", "200", list.body);
      assert(list.body.data[0]?.id === 1, "channel 1 is always listed");
      const body = { name: "conformance-lockout", type: "storefront", platform: "custom", status: "inactive" };
      const created = await call("POST", "/v3/channels", body);
      assert(created.status === 200, `create status ${created.status}`);
      assertSchema(channels, "/channels", "post", "200", created.body);
      const one = await call("GET", `/v3/channels/${created.body.data.id}`);
      assertSchema(channels, "/channels/{channel_id}", "get", "200", one.body);
      const missing = await call("GET", "/v3/channels/987654");
      assert(missing.status === 404, `missing status ${missing.status}`);
      assertSchema(channels, "/channels/{channel_id}", "get", "404", missing.body);
      const invalid = await call("POST", "/v3/channels", { type: "storefront" });
      assert(invalid.status === 422, `invalid status ${invalid.status}`);
      assertSchema(channels, "/channels", "post", "422", invalid.body);
      const filter = await call("GET", "/v3/channels?limit=a");
      assert(filter.status === 422, `bad filter status ${filter.status}`);
      assertSchema(channels, "/channels", "get", "422", filter.body);
      const again = await call("POST", "/v3/channels", body);
      assert(again.status === 409, `duplicate status ${again.status}`);
      const settings = await call("PUT", `/v3/customers/settings/channels/${created.body.data.id}`, { allow_global_logins: false });
      // Spec erratum: the PUT response names the global CustomerSettingsObject (no nulls), yet its
      // own example carries a null override; it answers the channel object that GET describes.
      assertSchema(v3, "/customers/settings/channels/{channel_id}", "get", "200", settings.body);
      assert(settings.body.data.allow_global_logins === false, "allow_global_logins stored");
    });

    await check("validate-credentials matches the spec", async () => {
      await call("PUT", "/v3/customers", [{ id: 1, authentication: { new_password: "password1" } }]);
      const r = await call("POST", "/v3/customers/validate-credentials", { email: "SALLY@smithers.org", password: "password1" });
      assertSchema(v3, "/customers/validate-credentials", "post", "200", r.body);
      assertEqual(r.body, { is_valid: true, customer_id: 1 }, "body");
      const bad = await call("POST", "/v3/customers/validate-credentials", { email: "x" });
      assertSchema(v3, "/customers/validate-credentials", "post", "422", bad.body);
    });

    await check("DELETE /v3/customers?id:in= is 204 with an empty body; without id:in deletes nothing", async () => {
      const none = await call("DELETE", "/v3/customers");
      assert(none.status === 204 && none.text === "", "no-op 204");
      const count = (await call("GET", "/v3/customers")).body.meta.pagination.total;
      assert(count === 4, `still 4 customers, got ${count}`);
      const r = await call("DELETE", "/v3/customers?id:in=4");
      assert(r.status === 204 && r.text === "", `status ${r.status} body "${r.text}"`);
      const bad = await call("DELETE", "/v3/customers?id:in=x");
      assertSchema(v3, "/customers", "delete", "422", bad.body);
    });

    await check("V2 customer groups: empty list is 204 with no body", async () => {
      const r = await call("GET", "/v2/customer_groups");
      assert(r.status === 204 && r.text === "", `status ${r.status} body "${r.text}"`);
    });

    await check("V2 customer groups: POST, GET list, GET one, PUT, count match the spec", async () => {
      const created = await call("POST", "/v2/customer_groups", { name: "Wholesale", is_default: false });
      assertSchema(v2, "/customer_groups", "post", "200", created.body);
      const list = await call("GET", "/v2/customer_groups");
      assert(Array.isArray(list.body), "bare array");
      assertSchema(v2, "/customer_groups", "get", "200", list.body);
      assertSchema(v2, "/customer_groups/{customer_group_id}", "get", "200", (await call("GET", `/v2/customer_groups/${created.body.id}`)).body);
      const put = await call("PUT", `/v2/customer_groups/${created.body.id}`, { name: "Trade", discount_rules: [{ type: "all", method: "percent", amount: 5 }] });
      assertSchema(v2, "/customer_groups/{customer_group_id}", "put", "200", put.body);
      const count = await call("GET", "/v2/customer_groups/count");
      assertSchema(v2, "/customer_groups/count", "get", "200", count.body);
      assertEqual(count.body, { count: 1 }, "count");
    });

    await check("V2 customer groups: missing id is 404 in the V2 array shape", async () => {
      const r = await call("GET", "/v2/customer_groups/999");
      assert(r.status === 404, `status ${r.status}`);
      assert(Array.isArray(r.body) && typeof r.body[0].status === "number" && typeof r.body[0].message === "string", "V2 error array");
    });

    await check("every response carries the four X-Rate-Limit-* headers; 429 adds X-Retry-After", async () => {
      emu.setOptions({ rateQuota: 1, rateWindowMs: 2000 });
      const ok = await call("GET", "/v3/customers");
      const limited = await call("GET", "/v3/customers");
      emu.setOptions({ rateQuota: 100_000, rateWindowMs: 30_000 });
      for (const r of [ok, limited]) {
        for (const name of ["X-Rate-Limit-Time-Window-Ms", "X-Rate-Limit-Time-Reset-Ms", "X-Rate-Limit-Requests-Quota", "X-Rate-Limit-Requests-Left"]) {
          assert(r.headers.get(name) !== null, `missing ${name} on ${r.status}`);
        }
      }
      assert(limited.status === 429 && limited.headers.get("X-Retry-After") !== null, "429 with X-Retry-After");
      assertSchema(v3, "/customers/validate-credentials", "post", "429", limited.body);
    });
  } finally {
    await emu.close();
  }
  console.log(`(${Date.now() - started} ms)`);
  console.log(`conformance: ${passed} passed, ${failed} failed`);
  process.exitCode = failed > 0 ? 1 : 0;
}

main().catch((error: unknown) => {
  console.error(error);
  console.log(`conformance: ${passed} passed, ${failed + 1} failed`);
  process.exit(1);
});
