import type { Express } from "express";
import type { Logger } from "pino";
import { AuditTrail } from "../audit/audit-trail.js";
import { composeBridge } from "../compose.js";
import type { Config } from "../config.js";
import { TenantsFront } from "./front.js";
import { TenantSet } from "./tenant-set.js";
import { connectRedis } from "../shared-state/redis-connection.js";

export { TENANT_PATH } from "./front.js";
export type { TenantSet } from "./tenant-set.js";

/** The file is read again this often: a change is served within a few seconds (the issue asks 10). */
export const TENANTS_POLL_MS = 2_000;
/** A tenant whose store could not be used is tried again this often. */
export const TENANT_RETRY_MS = 30_000;

export interface ComposedTenants {
  app: Express;
  tenants: TenantSet;
  /** The HTTP server listens at `url` (replicas: each tenant's bridge takes part in its store's leadership). */
  serving(url: string): Promise<void>;
  /** Reads the tenants file now (SIGHUP). */
  reload(trigger?: "SIGHUP"): Promise<void>;
  close(): Promise<void>;
}

/**
 * Many stores in one process (SCIM_TENANTS_FILE): each tenant is one bridge composed as a single
 * store's is (src/compose.ts), with its own Config, so isolation comes from composition; the front
 * routes /t/<tenant>/… to it.
 */
export async function composeTenants(
  config: Config,
  options: { logger: Logger; env?: NodeJS.ProcessEnv; pollMs?: number; retryMs?: number; drainMs?: number },
): Promise<ComposedTenants> {
  let servingAt: string | undefined;
  let set: TenantSet | undefined;
  // One audit trail for the process (one writer of SCIM_AUDIT_FILE, which rotates it): each
  // tenant's events name the tenant. Opened first: it may throw, and nothing is open yet to close.
  const audit = AuditTrail.open(options.logger, config.auditFile);
  // The front's count of failed authentications is the process's, not a tenant's: its own
  // connection, closed on every way out (a failed start, close).
  const redis = config.redis ? connectRedis(config.redis, options.logger.child({ component: "redis" })) : undefined;
  const front = new TenantsFront(() => set!, config, options.logger, redis);
  set = new TenantSet({
    file: config.tenantsFile!,
    logger: options.logger,
    ...(options.env ? { env: options.env } : {}),
    pollMs: options.pollMs ?? TENANTS_POLL_MS,
    retryMs: options.retryMs ?? TENANT_RETRY_MS,
    ...(options.drainMs !== undefined ? { drainMs: options.drainMs } : {}),
    failures: front.failures,
    onFileVersion: (outcome) => front.fileVersions.inc({ outcome }),
    build: async (setup, logger, authenticate) => {
      const composed = await composeBridge(setup.config, {
        logger,
        upstream: setup.upstream,
        audit: audit.forTenant(setup.id),
        tenant: { basePath: `/t/${setup.id}`, authenticate },
      });
      // A tenant added while the process runs joins leadership at once.
      if (servingAt !== undefined) await composed.serving(servingAt);
      return composed;
    },
  });
  const tenants = set;
  try {
    await tenants.start();
  } catch (err) {
    redis?.disconnect();
    throw err;
  }
  return {
    app: front.app,
    tenants,
    serving: async (url) => {
      servingAt = url;
      await Promise.all(tenants.all().map((t) => t.serving(url)));
    },
    reload: (trigger) => tenants.reload(trigger),
    close: async () => {
      try {
        await tenants.close();
      } finally {
        redis?.disconnect();
      }
    },
  };
}
