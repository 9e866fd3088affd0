import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { dirname, extname, isAbsolute, resolve } from "node:path";
import { parse as parseYaml } from "yaml";
import { z } from "zod";

/**
 * SCIM_TENANTS_FILE: the stores one process serves (docs/tenants.md). JSON, or YAML for a name
 * ending in .yaml/.yml. A secret is given inline, or as a reference the file need not hold:
 * `{"env": "NAME"}` (an environment variable) or `{"file": "path"}` (a file's content, e.g. a
 * mounted Kubernetes secret; relative to the tenants file's folder). A SCIM token may also be
 * given as its SHA-256 digest, `{"sha256": "<64 hex>"}`.
 */
const envRef = z.strictObject({ env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be an environment variable's name") });
const fileRef = z.strictObject({ file: z.string().min(1) });
const secret = z.union([z.string().min(1), envRef, fileRef]);
const scimToken = z.union([secret, z.strictObject({ sha256: z.string().regex(/^[0-9a-fA-F]{64}$/, "must be 64 hexadecimal digits") })]);
const settingValue = z.union([z.string(), z.number(), z.boolean(), envRef, fileRef]);

/** A tenant id is a URL path segment, a metric label and a log field: short and plain. */
export const TENANT_ID = /^[a-z0-9](?:[a-z0-9-]{0,62})$/;

const tenantSchema = z.strictObject({
  id: z.string().regex(TENANT_ID, "must be 1-63 lower-case letters, digits or '-', starting with a letter or digit"),
  bigcommerce: z.strictObject({
    storeHash: z.string().regex(/^[a-z0-9]+$/i, "must be the store hash from the API path"),
    accessToken: secret,
    apiUrl: z.string().min(1).optional(),
  }),
  scimTokens: z.array(scimToken).default([]),
  settings: z.record(z.string(), settingValue).default({}),
});

const fileSchema = z.strictObject({ tenants: z.array(tenantSchema) });

type SecretRef = z.infer<typeof secret>;

/** One tenant as read from the file, every reference resolved. Holds secrets: never log it. */
export interface TenantEntry {
  id: string;
  storeHash: string;
  accessToken: string;
  apiUrl: string | undefined;
  /** SHA-256 digests of the tenant's SCIM tokens (a raw token is digested at once). */
  tokenDigests: Buffer[];
  /** Environment-style settings, as strings; relative `*_FILE` paths made absolute. */
  settings: Record<string, string>;
  /** Changes whenever anything the tenant is built from changes (also a referenced file's content). */
  fingerprint: string;
}

export class TenantsFileError extends Error {
  override name = "TenantsFileError";
}

/** Reads and checks the tenants file; every problem is named (tenant, field), none holds a secret value. */
export function readTenantsFile(path: string, env: NodeJS.ProcessEnv = process.env): TenantEntry[] {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new TenantsFileError(`cannot read the tenants file: ${(err as NodeJS.ErrnoException).code ?? "unreadable"}`);
  }
  let raw: unknown;
  try {
    raw = /^\.ya?ml$/i.test(extname(path)) ? parseYaml(text) : JSON.parse(text);
  } catch (err) {
    throw new TenantsFileError(`the tenants file is not valid ${/^\.ya?ml$/i.test(extname(path)) ? "YAML" : "JSON"}: ${err instanceof Error ? err.message.split("\n")[0] : "unreadable"}`);
  }
  const parsed = fileSchema.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${describePath(raw, i.path)}: ${i.message}`);
    throw new TenantsFileError(`the tenants file is invalid:\n${lines.join("\n")}`);
  }
  const folder = dirname(resolve(path));
  const problems: string[] = [];
  const entries: TenantEntry[] = [];
  const seenIds = new Set<string>();
  const tokenOwner = new Map<string, string>();
  const storeOwner = new Map<string, string>();
  for (const t of parsed.data.tenants) {
    const fail = (where: string, message: string) => problems.push(`  tenant "${t.id}": ${where}: ${message}`);
    if (seenIds.has(t.id)) fail("id", "is given twice");
    seenIds.add(t.id);
    // One bridge per store: two would each spend the store's whole quota, and with replicas share
    // its Redis keys (locks, leadership) while serving different paths.
    const store = `${(t.bigcommerce.apiUrl ?? "https://api.bigcommerce.com").replace(/\/+$/, "")} ${t.bigcommerce.storeHash}`;
    const storeTenant = storeOwner.get(store);
    if (storeTenant !== undefined && storeTenant !== t.id) fail("bigcommerce.storeHash", `is also tenant "${storeTenant}"'s store; one tenant per store`);
    storeOwner.set(store, t.id);
    const reveal = (ref: SecretRef, where: string): string | undefined => {
      const value = resolveSecret(ref, folder, env);
      if (typeof value === "string") return value;
      fail(where, value.problem);
      return undefined;
    };
    const accessToken = reveal(t.bigcommerce.accessToken, "bigcommerce.accessToken");
    const tokenDigests: Buffer[] = [];
    t.scimTokens.forEach((token, i) => {
      if (typeof token === "object" && "sha256" in token) {
        tokenDigests.push(Buffer.from(token.sha256, "hex"));
        return;
      }
      const value = reveal(token, `scimTokens[${i}]`);
      if (value === undefined) return;
      if (value.length < 16) fail(`scimTokens[${i}]`, "must be at least 16 characters");
      else tokenDigests.push(createHash("sha256").update(value, "utf8").digest());
    });
    // A token authenticates for exactly one tenant.
    for (const digest of tokenDigests) {
      const owner = tokenOwner.get(digest.toString("hex"));
      if (owner !== undefined && owner !== t.id) fail("scimTokens", `a token is also tenant "${owner}"'s; each tenant needs its own`);
      tokenOwner.set(digest.toString("hex"), t.id);
    }
    const settings: Record<string, string> = {};
    for (const [name, value] of Object.entries(t.settings)) {
      const text = typeof value === "object" ? reveal(value, `settings.${name}`) : String(value);
      if (text === undefined) continue;
      // Paths in settings (SCIM_MAPPING_FILE, ...) are relative to the tenants file, like its references.
      settings[name] = name.endsWith("_FILE") && text.trim() !== "" && !isAbsolute(text) ? resolve(folder, text) : text;
    }
    if (accessToken === undefined) continue;
    entries.push({
      id: t.id,
      storeHash: t.bigcommerce.storeHash,
      accessToken,
      apiUrl: t.bigcommerce.apiUrl,
      tokenDigests,
      settings,
      fingerprint: fingerprintOf(t.id, t.bigcommerce.storeHash, t.bigcommerce.apiUrl, accessToken, tokenDigests, settings),
    });
  }
  if (problems.length > 0) throw new TenantsFileError(`the tenants file is invalid:\n${problems.join("\n")}`);
  return entries;
}

function resolveSecret(ref: SecretRef, folder: string, env: NodeJS.ProcessEnv): string | { problem: string } {
  if (typeof ref === "string") return ref;
  if ("env" in ref) {
    const value = env[ref.env];
    return value === undefined || value === "" ? { problem: `environment variable ${ref.env} is not set` } : value;
  }
  try {
    // A mounted secret usually ends with a newline that is no part of it.
    const value = readFileSync(resolve(folder, ref.file), "utf8").replace(/\r?\n$/, "");
    return value === "" ? { problem: `file ${ref.file} is empty` } : value;
  } catch (err) {
    return { problem: `cannot read file ${ref.file} (${(err as NodeJS.ErrnoException).code ?? "unreadable"})` };
  }
}

/** `tenants[0].bigcommerce` reads better as `tenant "acme".bigcommerce` when the id is known. */
function describePath(raw: unknown, path: readonly PropertyKey[]): string {
  if (path[0] === "tenants" && typeof path[1] === "number") {
    const id = (raw as { tenants?: { id?: unknown }[] } | null)?.tenants?.[path[1]]?.id;
    const rest = path.slice(2).map(String).join(".");
    const who = typeof id === "string" ? `tenant "${id.slice(0, 64)}"` : `tenants[${path[1]}]`;
    return rest ? `${who}: ${rest}` : who;
  }
  return path.map(String).join(".") || "file";
}

function fingerprintOf(id: string, storeHash: string, apiUrl: string | undefined, accessToken: string, digests: Buffer[], settings: Record<string, string>): string {
  const hash = createHash("sha256");
  hash.update(JSON.stringify([id, storeHash, apiUrl ?? null, accessToken, digests.map((d) => d.toString("hex"))]));
  for (const name of Object.keys(settings).sort()) {
    hash.update(JSON.stringify([name, settings[name]]));
    // A changed mapping (or any other) file changes the tenant, as a changed setting does.
    if (name.endsWith("_FILE") && settings[name]!.trim() !== "") {
      try {
        hash.update(readFileSync(settings[name]!));
      } catch {
        hash.update("unreadable"); // the tenant's own configuration check reports it
      }
    }
  }
  return hash.digest("hex");
}
