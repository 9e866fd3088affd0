import type { Logger } from "pino";
import type { BigCommerceClient, CustomerGroup } from "../../bigcommerce/index.js";

/**
 * Customer group names, cached so that a user's `groups[].display` never costs a BigCommerce
 * call on the read path. Refreshed in the background and updated by the bridge's own group
 * writes. Customer groups are plan-dependent: when the store refuses them, names stay unknown.
 */
export class GroupDirectory {
  private names = new Map<number, string>();
  private defaultId = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly client: BigCommerceClient,
    private readonly logger: Logger,
    private readonly refreshMs = 60_000,
  ) {}

  nameOf(id: number): string | undefined {
    return this.names.get(id);
  }

  /** The group BigCommerce puts new customers in (`is_default`), 0 when none is known. */
  defaultGroupId(): number {
    return this.defaultId;
  }

  set(id: number, name: string): void {
    this.names.set(id, name);
  }

  /** Takes in a complete listing of the store's groups (names and the default group). */
  remember(groups: readonly CustomerGroup[]): void {
    this.names = new Map(groups.map((g) => [g.id, g.name]));
    this.defaultId = groups.find((g) => g.is_default)?.id ?? 0;
  }

  forget(id: number): void {
    this.names.delete(id);
  }

  /** Reads every group now; fails when BigCommerce does (group precedence needs the names). */
  async load(): Promise<void> {
    const all: CustomerGroup[] = [];
    for (let page = 1; page <= 20; page++) {
      const groups = await this.client.customerGroups.list({ page, limit: 250 });
      all.push(...groups);
      if (groups.length < 250) break;
    }
    this.remember(all);
  }

  /** The background refresh: a failure keeps the names known so far. */
  async refresh(): Promise<void> {
    try {
      await this.load();
    } catch (err) {
      this.logger.warn({ err: { code: (err as { code?: string }).code, message: (err as Error).message } }, "customer group names not refreshed");
    }
  }

  start(): void {
    this.timer = setInterval(() => void this.refresh(), this.refreshMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
