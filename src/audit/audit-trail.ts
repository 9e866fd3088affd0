import type { Logger } from "pino";
import { AuditFile, type AuditFileOptions } from "./audit-file.js";

/**
 * One audit event: what the bridge changed in the store (or refused to), for whom, and at what
 * cost. Names of attributes only, never their values; never an email or a token.
 */
export interface AuditEvent {
  /** "scim" for SCIM writes, "sign-in" for storefront sign-in. */
  kind: "scim" | "sign-in";
  /** create, replace, patch, delete; deactivate and reactivate when a write turned out to be one; sign-in. */
  operation: string;
  resourceType?: "User" | "Group";
  resourceId?: string;
  /** The IdP client: "token#1" (the n-th configured token) or "jwt:<sub>". */
  client?: string;
  requestId?: string;
  /** Attribute names the write changed (BigCommerce fields and SCIM attributes), on success. */
  changed?: string[];
  /** Attribute names the request asked to change (also when it failed). */
  requested?: string[];
  /** BigCommerce calls that carried this request's work (a shared batch call counts for each request in it). */
  upstreamCalls?: number;
  /** `METHOD endpoint` → calls. */
  upstreamCallsByEndpoint?: Record<string, number>;
  outcome: "success" | "failure";
  status?: number;
  /** Why a sign-in was refused (a stable reason code). */
  reason?: string;
}

/**
 * Where audit events go: the log stream, each line marked `audit: true` (`"msg": "audit"`), and,
 * with SCIM_AUDIT_FILE, an append-only JSON Lines file. One trail per process: tenants share it,
 * each event carrying its tenant.
 */
export class AuditTrail {
  private constructor(
    private readonly log: Logger,
    private readonly file: AuditFile | undefined,
    private readonly fields: { tenant?: string },
  ) {}

  static open(logger: Logger, file: AuditFileOptions | null): AuditTrail {
    return new AuditTrail(logger.child({ audit: true }), file ? new AuditFile(file) : undefined, {});
  }

  /** The same trail, with every event naming this tenant. */
  forTenant(tenant: string): AuditTrail {
    return new AuditTrail(this.log, this.file, { tenant });
  }

  record(event: AuditEvent): void {
    const line = { time: new Date().toISOString(), ...this.fields, ...event };
    this.log.info(line, "audit");
    try {
      this.file?.append(line);
    } catch (err) {
      // The change is already made and answered for; a full disk must not turn it into an error.
      this.log.error({ err: (err as Error).message }, "audit file: event not written");
    }
  }
}
