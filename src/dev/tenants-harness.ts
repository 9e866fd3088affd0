import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../config.js";
import { startEmulator, type RunningEmulator, type StartOptions } from "../emulator/index.js";
import { answerClientErrors } from "../http/client-error.js";
import { createLogger } from "../logger.js";
import { composeTenants, type TenantSet } from "../tenants/index.js";
import { logLinesInto } from "./bridge-harness.js";

/** The process's own token in these runs (/metrics, /readyz detail). */
export const OPERATOR_TOKEN = "operator-token-0123456789abcdef";

/** A tenant's SCIM token in these runs: its id, made long enough. */
export const tenantToken = (id: string): string => `${id}-scim-token-0123456789`;

/** One entry of a tenants file on the emulator: store `<id>store`, token tenantToken(id). */
export function tenantEntry(emulator: Pick<RunningEmulator, "url">, id: string, extra: { storeHash?: string; accessToken?: unknown; settings?: Record<string, unknown>; scimTokens?: unknown[] } = {}) {
  return {
    id,
    bigcommerce: { storeHash: extra.storeHash ?? `${id.replace(/[^a-z0-9]/g, "")}store`, accessToken: extra.accessToken ?? "emulator-token", apiUrl: emulator.url },
    scimTokens: extra.scimTokens ?? [tenantToken(id)],
    ...(extra.settings ? { settings: extra.settings } : {}),
  };
}

export interface RunningTenants {
  url: string;
  emulator: RunningEmulator;
  tenants: TenantSet;
  /** The tenants file (JSON) this run reads. */
  file: string;
  /** Writes the tenants file (an object is written as JSON, a string as it is). */
  write(content: unknown): void;
  /** Writes a file next to the tenants file (a referenced secret, a mapping file). */
  writeBeside(name: string, content: string): void;
  /** Reads the file now, and waits until every tenant is built. */
  reload(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Many tenants in one process on one emulator (it serves every store hash), written to a tenants
 * file of their own: what main.ts runs with SCIM_TENANTS_FILE. Tests and `npm run bench:tenants`.
 */
export async function startTenants(
  file: (emulator: RunningEmulator) => unknown,
  options: {
    env?: Record<string, string>;
    emulator?: StartOptions;
    /** Replicas: several tenants processes on one emulator (the caller starts and closes it). */
    sharedEmulator?: RunningEmulator;
    pollMs?: number;
    retryMs?: number;
    logLines?: string[];
    tenantsFileName?: string;
    /** Written next to the tenants file first (referenced secrets, mapping files). */
    files?: Record<string, string>;
  } = {},
): Promise<RunningTenants> {
  const emulator = options.sharedEmulator ?? (await startEmulator({ port: 0, rateQuota: 100_000, rateWindowMs: 30_000, ...options.emulator }));
  const closeOwnEmulator = () => (options.sharedEmulator ? Promise.resolve() : emulator.close());
  const folder = mkdtempSync(join(tmpdir(), "scim-tenants-"));
  const path = join(folder, options.tenantsFileName ?? "tenants.json");
  const write = (content: unknown) => writeFileSync(path, typeof content === "string" ? content : JSON.stringify(content, null, 2));
  let server: Server | undefined;
  try {
    for (const [name, content] of Object.entries(options.files ?? {})) writeFileSync(join(folder, name), content);
    write(file(emulator));
    const env = { SCIM_TENANTS_FILE: path, SCIM_BEARER_TOKENS: OPERATOR_TOKEN, LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "silent", ...options.env };
    const config = loadConfig(env);
    const logger = createLogger(config.logLevel, options.logLines ? logLinesInto(options.logLines) : undefined);
    const composed = await composeTenants(config, { logger, env, pollMs: options.pollMs ?? 60_000, retryMs: options.retryMs ?? 60_000 });
    server = composed.app.listen(0, "127.0.0.1");
    answerClientErrors(server);
    await new Promise<void>((resolve) => server!.once("listening", () => resolve()));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    await composed.serving(url);
    const running = server;
    return {
      url,
      emulator,
      tenants: composed.tenants,
      file: path,
      write,
      writeBeside: (name, content) => writeFileSync(join(folder, name), content),
      reload: async () => {
        await composed.reload();
        await composed.tenants.settled();
      },
      close: async () => {
        running.closeAllConnections();
        await new Promise<void>((resolve) => running.close(() => resolve()));
        await composed.close();
        await closeOwnEmulator();
        rmSync(folder, { recursive: true, force: true });
      },
    };
  } catch (err) {
    server?.close();
    await closeOwnEmulator();
    rmSync(folder, { recursive: true, force: true });
    throw err;
  }
}
