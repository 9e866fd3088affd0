import { AsyncLocalStorage } from "node:async_hooks";
import { ScimError } from "./errors.js";

/**
 * If-Match against `meta.version` (RFC 7644 §3.14): the one comparison, and the check a writer
 * makes with the resource it has just read for a write, inside its per-resource lock. The HTTP
 * layer (http/preconditions.ts) puts the request's If-Match here for the writer to find.
 */

/** Entity tags in an If-Match / If-None-Match header; `W/` is ignored (SCIM clients echo what they got). */
function tagsOf(header: string): string[] {
  return header.split(",").map((t) => t.trim().replace(/^W\//, "")).filter((t) => t.length > 0);
}

export const matchesVersion = (header: string, version: string): boolean => tagsOf(header).some((t) => t === "*" || t === version);

export function versionIn(resource: unknown): string | undefined {
  if (!resource || typeof resource !== "object" || Array.isArray(resource)) return undefined;
  const version = (resource as { meta?: { version?: unknown } }).meta?.version;
  return typeof version === "string" && version !== "" ? version : undefined;
}

export const preconditionFailed = (what: string): ScimError =>
  new ScimError(412, null, `Precondition failed: the ${what} has changed since the version named in If-Match`);

/** The If-Match of the request being served. */
const expectedVersion = new AsyncLocalStorage<string>();

export function withExpectedVersion(ifMatch: string, next: () => void): void {
  expectedVersion.run(ifMatch, next);
}

/** Whether the request being served carries If-Match (its check needs the resource as it is now). */
export const hasExpectedVersion = (): boolean => expectedVersion.getStore() !== undefined;

/** Called by the User writer with the user as it is now, before it writes anything. */
export function requireCurrentVersion(current: unknown): void {
  const ifMatch = expectedVersion.getStore();
  if (ifMatch === undefined) return;
  const version = versionIn(current);
  if (!version || !matchesVersion(ifMatch, version)) throw preconditionFailed("User");
}
