/** Real-HTTP helpers for the emulator tests: one emulator per test file, plain fetch calls. */
import { afterAll, beforeAll, beforeEach } from "vitest";
import { type RunningEmulator, type StartOptions, startEmulator } from "../../src/emulator/index.js";

export interface Reply {
  status: number;
  headers: Headers;
  text: string;
  body: any;
}

export interface CallOptions {
  body?: unknown;
  rawBody?: string;
  token?: string | null;
  headers?: Record<string, string>;
  store?: string;
}

export const STORE = "abc123";

export function makeCaller(emu: () => RunningEmulator) {
  return async function call(method: string, path: string, options: CallOptions = {}): Promise<Reply> {
    const headers: Record<string, string> = { Accept: "application/json", ...options.headers };
    if (options.token !== null) headers["X-Auth-Token"] = options.token ?? "test-token";
    let body: string | undefined;
    if (options.rawBody !== undefined) body = options.rawBody;
    else if (options.body !== undefined) body = JSON.stringify(options.body);
    if (body !== undefined) headers["Content-Type"] ??= "application/json";
    const response = await fetch(`${emu().url}/stores/${options.store ?? STORE}${path}`, { method, headers, body });
    const text = await response.text();
    let parsed: unknown = undefined;
    try {
      parsed = text === "" ? undefined : JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    return { status: response.status, headers: response.headers, text, body: parsed };
  };
}

/** Starts one emulator for the file and resets it before each test. */
export function useEmulator(options: StartOptions = {}) {
  let emu: RunningEmulator | undefined;
  const get = (): RunningEmulator => {
    if (emu === undefined) throw new Error("emulator not started");
    return emu;
  };
  beforeAll(async () => {
    emu = await startEmulator({ port: 0, ...options });
  });
  afterAll(async () => {
    await emu?.close();
  });
  beforeEach(() => {
    get().reset();
    get().setOptions({ rateQuota: 10_000, rateWindowMs: 30_000, latencyMs: 0, partialBatchWrites: false, ...options });
  });
  return { emu: get, call: makeCaller(get) };
}

export const V3_TYPE = "https://developer.bigcommerce.com/api-docs/getting-started/api-status-codes";

export function person(n: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { email: `user${n}@example.com`, first_name: `First${n}`, last_name: `Last${n}`, ...extra };
}
