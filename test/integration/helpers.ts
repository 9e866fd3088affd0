import request from "supertest";
import { startBridge, STORE_HASH, TEST_TOKEN, type RunningBridge } from "../support/bridge-harness.js";

export const CORE = "urn:ietf:params:scim:schemas:core:2.0:User";
export const ENT = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
export const BC = "urn:ietf:params:scim:schemas:extension:bigcommerce:2.0:Customer";
export const PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

export { startBridge, STORE_HASH, TEST_TOKEN, type RunningBridge };

export function api(b: RunningBridge) {
  const base = `${b.url}/scim/v2`;
  return {
    get: (path: string) => request(base).get(path).set(b.auth),
    post: (path: string, body: unknown) => request(base).post(path).set(b.auth).set("Content-Type", "application/scim+json").send(JSON.stringify(body)),
    put: (path: string, body: unknown) => request(base).put(path).set(b.auth).set("Content-Type", "application/scim+json").send(JSON.stringify(body)),
    patch: (path: string, ops: unknown[]) =>
      request(base).patch(path).set(b.auth).set("Content-Type", "application/scim+json").send(JSON.stringify({ schemas: [PATCH_OP], Operations: ops })),
    delete: (path: string) => request(base).delete(path).set(b.auth),
  };
}

export function store(b: RunningBridge) {
  return b.emulator.store(STORE_HASH);
}

/** BigCommerce calls made while `work` ran, as "METHOD /v3/path" strings. */
export async function countCalls<T>(b: RunningBridge, work: () => Promise<T>): Promise<{ result: T; calls: string[] }> {
  b.emulator.clearRequests();
  const result = await work();
  const calls = b.upstreamCalls().map((c) => `${c.method} ${c.path.replace(`/stores/${STORE_HASH}`, "")}`);
  return { result, calls };
}

export function newUser(email: string, extra: Record<string, unknown> = {}) {
  return { schemas: [CORE], userName: email, name: { givenName: "Given", familyName: "Family" }, emails: [{ value: email, type: "work", primary: true }], active: true, ...extra };
}
