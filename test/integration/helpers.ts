import request from "supertest";
import { afterAll, afterEach, beforeAll, beforeEach, expect } from "vitest";
import type { StartOptions } from "../../src/emulator/index.js";
import { startBridge, STORE_HASH, TEST_TOKEN, type RunningBridge } from "../support/bridge-harness.js";

export const CORE = "urn:ietf:params:scim:schemas:core:2.0:User";
export const ENT = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
export const BC = "urn:ietf:params:scim:schemas:extension:bigcommerce:2.0:Customer";
export const PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

export { startBridge, STORE_HASH, TEST_TOKEN, type RunningBridge };

export type Api = ReturnType<typeof api>;

export function api(b: Pick<RunningBridge, "url" | "auth">) {
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

export function store(b: Pick<RunningBridge, "emulator">) {
  return b.emulator.store(STORE_HASH);
}

/** BigCommerce calls made while `work` ran, as "METHOD /v3/path" strings. */
export async function countCalls<T>(b: Pick<RunningBridge, "bridge" | "emulator" | "upstreamCalls">, work: () => Promise<T>): Promise<{ result: T; calls: string[] }> {
  // An earlier create's index entry, written behind its answer, must not land in this count
  // (bounded: a test whose store keeps refusing them must not hang here).
  await b.bridge.settled(10_000);
  b.emulator.clearRequests();
  const result = await work();
  const calls = b.upstreamCalls().map((c) => `${c.method} ${c.path.replace(`/stores/${STORE_HASH}`, "")}`);
  return { result, calls };
}

export function newUser(email: string, extra: Record<string, unknown> = {}) {
  return { schemas: [CORE], userName: email, name: { givenName: "Given", familyName: "Family" }, emails: [{ value: email, type: "work", primary: true }], active: true, ...extra };
}

/** BigCommerce's answer to "does this password sign in to this channel?" (its validate-credentials endpoint). */
export async function signsIn(b: Pick<RunningBridge, "emulator">, email: string, password: string, channelId = 1): Promise<boolean> {
  const response = await fetch(`${b.emulator.url}/stores/${STORE_HASH}/v3/customers/validate-credentials`, {
    method: "POST",
    headers: { "X-Auth-Token": "judge", "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify({ email, password, channel_id: channelId }),
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as { is_valid: boolean }).is_valid;
}

/** The User an IdP would create: POSTs newUser(email, extra), expects 201, gives back the answer. */
export async function createUser(a: Api, email: string, extra: Record<string, unknown> = {}) {
  const res = await a.post("/Users", newUser(email, extra));
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as Record<string, unknown> & { id: string; userName: string };
}

/** startBridge's own options (prepare, logLines), the emulator's, and when the bridge lives. */
export type UseBridgeOptions = Omit<NonNullable<Parameters<typeof startBridge>[2]>, "emulator"> & {
  emulator?: StartOptions;
  /** A fresh bridge (and emulator) for every test, instead of one for the file or describe. */
  each?: boolean;
};

/** A bridge the hooks start and close: everything a RunningBridge has but close, and its api. */
export type UsedBridge = Omit<RunningBridge, "close"> & { readonly api: Api };

/**
 * One bridge for the tests around the call: started in beforeAll (beforeEach with `each`) and
 * closed in afterAll (afterEach), so a file reads `const b = useBridge(env); ... b.api.post(...)`.
 * Hooks registered after this call run after the bridge started. Its getters throw outside a
 * test, so reading one at module load fails loudly instead of capturing an absent bridge.
 */
export function useBridge(env: Record<string, string> = {}, options: UseBridgeOptions = {}): UsedBridge {
  const { each = false, emulator, ...harness } = options;
  let running: { bridge: RunningBridge; api: Api } | undefined;
  const current = () => {
    if (!running) throw new Error("useBridge: no bridge runs here (read it inside a test or a hook after useBridge)");
    return running;
  };
  (each ? beforeEach : beforeAll)(async () => {
    const bridge = await startBridge(env, emulator, harness);
    running = { bridge, api: api(bridge) };
  });
  (each ? afterEach : afterAll)(async () => {
    const stopping = running;
    running = undefined;
    await stopping?.bridge.close();
  });
  return {
    get bridge() { return current().bridge.bridge; },
    get client() { return current().bridge.client; },
    get emulator() { return current().bridge.emulator; },
    get config() { return current().bridge.config; },
    get url() { return current().bridge.url; },
    get auth() { return current().bridge.auth; },
    upstreamCalls: () => current().bridge.upstreamCalls(),
    get api() { return current().api; },
  };
}

/**
 * A bridge of its own for one piece of a test (another configuration than the file's): started,
 * given to `work`, and closed whether `work` passes or throws.
 */
export async function withBridge<T>(
  env: Record<string, string>,
  work: (own: RunningBridge & { api: Api }) => Promise<T>,
  options: Omit<UseBridgeOptions, "each"> = {},
): Promise<T> {
  const { emulator, ...harness } = options;
  const own = await startBridge(env, emulator, harness);
  try {
    return await work({ ...own, api: api(own) });
  } finally {
    await own.close();
  }
}
