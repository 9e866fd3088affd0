/**
 * In-process entry point: `startEmulator()` serves the emulated BigCommerce API on a real port
 * and hands tests the levers they need (store seeding, request log, faults, options, reset).
 */
import type { AddressInfo } from "node:net";
import { createServer } from "node:http";
import { adminRouter } from "./admin.js";
import { createEmulatorApp, type EmulatorRuntime } from "./app.js";
import { FaultInjector } from "./faults.js";
import { type EmulatorOptions, resolveOptions } from "./options.js";
import { RateLimiter } from "./rate-limiter.js";
import type { RequestLogEntry } from "./request-log.js";
import { EmulatorStore } from "./store.js";

export type { EmulatorOptions, StorefrontOptions } from "./options.js";
export type { FaultRule } from "./faults.js";
export { FaultInjector } from "./faults.js";
export type { RequestLogEntry } from "./request-log.js";
export { EmulatorStore } from "./store.js";
export { createEmulatorApp } from "./app.js";
export type * from "./records.js";

export interface RunningEmulator {
  /** http://HOST:PORT, no trailing slash. */
  url: string;
  /** The store behind a store hash (created on first use). */
  store(storeHash: string): EmulatorStore;
  /** Every API request so far (live array). */
  requests: RequestLogEntry[];
  clearRequests(): void;
  faults: FaultInjector;
  /** Empties all stores, fault rules, rate windows and the request log. */
  reset(): void;
  setOptions(partial: Partial<EmulatorOptions>): void;
  close(): Promise<void>;
}

export interface StartOptions extends EmulatorOptions {
  port?: number;
  host?: string;
  /** Serve the /__emulator control API (default true). */
  admin?: boolean;
}

export async function startEmulator(options: StartOptions = {}): Promise<RunningEmulator> {
  const { port = 0, host = "127.0.0.1", admin = true, ...emulatorOptions } = options;
  const resolved = resolveOptions(emulatorOptions);
  const stores = new Map<string, EmulatorStore>();
  const requests: RequestLogEntry[] = [];
  const faults = new FaultInjector();
  const limiter = new RateLimiter(() => resolved);
  const now = (): Date => resolved.now();

  const store = (storeHash: string): EmulatorStore => {
    let found = stores.get(storeHash);
    if (found === undefined) {
      found = new EmulatorStore(storeHash, now);
      stores.set(storeHash, found);
    }
    return found;
  };
  const clearRequests = (): void => {
    requests.length = 0;
  };
  const reset = (): void => {
    for (const s of stores.values()) s.clear();
    stores.clear();
    faults.clear();
    limiter.reset();
    clearRequests();
  };
  const setOptions = (partial: Partial<EmulatorOptions>): void => {
    const rateChanged = partial.rateQuota !== undefined || partial.rateWindowMs !== undefined;
    for (const [key, value] of Object.entries(partial)) {
      if (value !== undefined || key === "accessToken" || key === "storefront" || key === "tokenScopes") (resolved as unknown as Record<string, unknown>)[key] = value;
    }
    if (rateChanged) limiter.reset();
  };

  const runtime: EmulatorRuntime = { options: resolved, store, now, limiter, faults, requests };
  const app = createEmulatorApp(runtime, admin ? adminRouter({ requests, clearRequests, faults, reset, setOptions }) : undefined);
  const server = createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const shownHost = address.family === "IPv6" ? `[${address.address}]` : address.address;

  return {
    url: `http://${shownHost}:${address.port}`,
    store,
    requests,
    clearRequests,
    faults,
    reset,
    setOptions,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
