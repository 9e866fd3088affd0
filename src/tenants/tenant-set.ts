import { createHash } from "node:crypto";
import type { Logger } from "pino";
import { ConfigError } from "../config.js";
import { Tenant, type TenantDeps, type TenantHealth } from "./tenant.js";
import { tenantSetup, type TenantSetup } from "./tenant-config.js";
import { readTenantsFile, TenantsFileError } from "./tenants-file.js";

export interface TenantSetOptions extends Omit<TenantDeps, "logger"> {
  file: string;
  logger: Logger;
  /** The process environment: secrets referenced by `{"env": …}` and the settings tenants inherit. */
  env?: NodeJS.ProcessEnv;
  /** How often the file is read again (a Kubernetes ConfigMap update is a file change). */
  pollMs: number;
  /** Told once per version of the file: applied, or refused (for /metrics). */
  onFileVersion?: (outcome: "applied" | "invalid") => void;
}

/** The last attempt to read the file: applied, or refused (the last valid set keeps serving). */
export type FileState = { valid: true; tenants: number } | { valid: false; error: string; since: string };

/**
 * The tenants of SCIM_TENANTS_FILE, kept in step with the file: it is read every `pollMs` (and on
 * reload(), e.g. SIGHUP). Added tenants are built and served, removed ones refused at once and
 * closed once their requests finished, changed ones rebuilt (tenant.ts); the others are not
 * touched. A file that cannot be used is reported and changes nothing.
 */
export class TenantSet {
  private readonly tenants = new Map<string, Tenant>();
  private state: FileState = { valid: true, tenants: 0 };
  /** What the last read found (its fingerprint, or its error), so each version is applied or reported once. */
  private lastSeen: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private reloading: Promise<void> | undefined;
  private readonly env: NodeJS.ProcessEnv;

  constructor(private readonly options: TenantSetOptions) {
    this.env = options.env ?? process.env;
  }

  /** Reads the file and builds every tenant; a file that cannot be used stops start-up. */
  async start(): Promise<void> {
    const setups = this.read("start");
    if (!Array.isArray(setups)) throw new ConfigError(`Invalid configuration:\n  SCIM_TENANTS_FILE: ${setups.error}`);
    this.apply(setups, "start");
    await Promise.all([...this.tenants.values()].map((t) => t.settled()));
    this.timer = setInterval(() => void this.reload("poll"), this.options.pollMs);
    this.timer.unref();
  }

  get(id: string): Tenant | undefined {
    return this.tenants.get(id);
  }

  all(): Tenant[] {
    return [...this.tenants.values()];
  }

  fileState(): FileState {
    return this.state;
  }

  /** Reads the file now (also what the poll does); resolves once the change is applied (not built). */
  reload(trigger: "poll" | "SIGHUP" | "call" = "call"): Promise<void> {
    this.reloading ??= Promise.resolve()
      .then(() => {
        const setups = this.read(trigger);
        if (Array.isArray(setups)) this.apply(setups, trigger);
        for (const tenant of this.tenants.values()) tenant.retryIfDue();
      })
      .catch((err: unknown) => this.options.logger.error({ err }, "tenants file reload failed"))
      .finally(() => {
        this.reloading = undefined;
      });
    return this.reloading;
  }

  /** Waits until every tenant has finished its pending change (tests, the harness). */
  async settled(): Promise<void> {
    await Promise.all(this.all().map((t) => t.settled()));
  }

  async health(): Promise<Record<string, TenantHealth>> {
    const entries = await Promise.all(this.all().map(async (t) => [t.id, await t.health()] as const));
    return Object.fromEntries(entries);
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.reloading;
    const closing = this.all();
    this.tenants.clear();
    await Promise.all(closing.map((t) => t.close()));
  }

  /** The file's tenants, or the reason it cannot be used (reported once per version of the file). */
  private read(trigger: string): TenantSetup[] | { error: string } {
    let setups: TenantSetup[];
    try {
      setups = readTenantsFile(this.options.file, this.env).map((entry) => tenantSetup(entry, this.env));
    } catch (err) {
      if (!(err instanceof TenantsFileError || err instanceof ConfigError)) throw err;
      const error = err.message;
      if (this.lastSeen !== `invalid:${error}`) {
        this.lastSeen = `invalid:${error}`;
        this.options.onFileVersion?.("invalid");
        this.state = { valid: false, error, since: new Date().toISOString() };
        this.options.logger.error({ error, trigger, tenants: this.tenants.size }, "the tenants file cannot be used; the last valid set of tenants keeps serving");
      }
      return { error };
    }
    return setups;
  }

  private apply(setups: TenantSetup[], trigger: string): void {
    const seen = createHash("sha256").update(setups.map((s) => s.fingerprint).join(",")).digest("hex");
    if (this.lastSeen === seen) {
      if (trigger === "SIGHUP") this.options.logger.info({ trigger, tenants: this.tenants.size }, "tenants file unchanged");
      return;
    }
    this.lastSeen = seen;
    this.options.onFileVersion?.("applied");
    const wanted = new Map(setups.map((s) => [s.id, s]));
    const added: string[] = [];
    const changed: string[] = [];
    const removed: string[] = [];
    for (const [id, tenant] of this.tenants) {
      if (wanted.has(id)) continue;
      // Refused from now on; its requests in flight still finish.
      this.tenants.delete(id);
      void tenant.close();
      removed.push(id);
    }
    for (const setup of setups) {
      const tenant = this.tenants.get(setup.id);
      if (!tenant) {
        this.tenants.set(setup.id, new Tenant(setup, { ...this.options, logger: this.options.logger }));
        added.push(setup.id);
      } else if (tenant.fingerprint !== setup.fingerprint) {
        tenant.replace(setup);
        changed.push(setup.id);
      }
    }
    this.state = { valid: true, tenants: this.tenants.size };
    this.options.logger.info({ added, changed, removed, trigger, tenants: this.tenants.size }, "tenants file applied");
  }
}
