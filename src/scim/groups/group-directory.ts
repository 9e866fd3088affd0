import type { Logger } from "pino";
import { systemClock, toCustomerGroupId, type BigCommerceClient, type Clock, type CustomerGroup } from "../../bigcommerce/index.js";

/** Pages of 250 groups a load reads at most. */
const LOAD_PAGES = 20;
/** Least time between two loads started to confirm group ids the directory does not know. */
const CONFIRM_GAP_MS = 5_000;
/** Ids a page break leaves open that one confirmation reads by id at most (one call each). */
const CONFIRM_READS = 10;
/**
 * Ids kept in each of `deleted` and `unconfirmed` at most: a `groups.value` filter asks about
 * any id an IdP names, which must not grow the process. Past it the oldest deleted id is
 * dropped (asked again, a listing settles it again) and a new unknown id is shown as existing.
 */
const MAX_TRACKED_IDS = 10_000;

/**
 * Customer group names, cached so that a user's `groups[].display` never costs a BigCommerce
 * call on the read path. Refreshed in the background and updated by the bridge's own group
 * writes. Customer groups are plan-dependent: when the store refuses them, names stay unknown.
 *
 * It also says, without a call, which groups named by a customer's stored values (remembered
 * memberships, the group a parked customer returns to) no longer exist: deleted through SCIM,
 * or outside it (the control panel, or before deletes took members out). BigCommerce numbers
 * customer groups in creation order and never reuses an id, so a group missing from a complete
 * listing whose highest id is above its own was deleted before that listing. Only where a page
 * shows it, though: pages are read one after the other by offset, and a delete between two
 * reads moves the next page's first groups onto the page already read, so a group whose id lies
 * between two pages (or above a full page followed by an empty one) may have been skipped. Such
 * an id, and a higher id the directory has not seen (maybe a group created since), count as
 * existing until a listing started after it was first asked about (one, started then, shared by
 * every id asked meanwhile) shows where it would be and lacks it, or, when that listing too
 * leaves it at a page break, until a read of that one group answers 404.
 */
export class GroupDirectory {
  private names = new Map<number, string>();
  private defaultId = 0;
  private timer: NodeJS.Timeout | null = null;
  /** The highest id of the last complete listing; null before the first one. */
  private highestListed: number | null = null;
  /** Between its pages, the ids that listing may have skipped (open ranges: low, high). */
  private pageBreaks: PageBreak[] = [];
  /** Groups known deleted: by the bridge itself, or missing from a listing started after they were asked about. */
  private readonly deleted = new Set<number>();
  /** Ids above highestListed or at one of its page breaks that the directory does not know, with the ask sequence number when first asked. */
  private readonly unconfirmed = new Map<number, number>();
  private asks = 0;
  private confirming = false;
  private lastConfirmAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly client: BigCommerceClient,
    private readonly logger: Logger,
    private readonly refreshMs = 60_000,
    private readonly clock: Pick<Clock, "now"> = systemClock,
  ) {}

  nameOf(id: number): string | undefined {
    return this.names.get(id);
  }

  /**
   * Whether a group named by a stored value is known to be gone (never a call here). Unknown
   * ids that may be new count as existing, and a listing to confirm them starts in the
   * background. Before the first complete listing (or on a store that refuses customer
   * groups) nothing is known gone.
   */
  isDeleted(id: number): boolean {
    if (this.names.has(id)) return false;
    if (this.deleted.has(id)) return true;
    if (this.highestListed === null) return false;
    if (id < this.highestListed && !atPageBreak(this.pageBreaks, id)) return true;
    if (!this.unconfirmed.has(id) && this.unconfirmed.size < MAX_TRACKED_IDS) this.unconfirmed.set(id, ++this.asks);
    this.confirmSoon();
    return false;
  }

  /** The group BigCommerce puts new customers in (`is_default`), 0 when none is known. */
  defaultGroupId(): number {
    return this.defaultId;
  }

  set(id: number, name: string): void {
    this.names.set(id, name);
    this.deleted.delete(id);
    this.unconfirmed.delete(id);
  }

  /**
   * Takes in a listing of the store's groups (names and the default group), page by page as
   * read. A complete one (read to its last page) also says which ids asked about before `mark`
   * are gone: those a page would show.
   */
  remember(pages: readonly (readonly CustomerGroup[])[], complete = false, mark = Number.NEGATIVE_INFINITY): void {
    const groups = pages.flat();
    this.names = new Map(groups.map((g) => [g.id, g.name]));
    this.defaultId = groups.find((g) => g.is_default)?.id ?? 0;
    if (!complete) {
      // Names beyond this listing are unknown: nothing is gone for being absent from it.
      this.highestListed = null;
      this.pageBreaks = [];
      return;
    }
    this.highestListed = groups.reduce((max, g) => Math.max(max, g.id), 0);
    this.pageBreaks = pageBreaksOf(pages);
    for (const [id, askedAt] of this.unconfirmed) {
      if (this.names.has(id)) this.unconfirmed.delete(id);
      else if (askedAt <= mark && !atPageBreak(this.pageBreaks, id)) {
        this.unconfirmed.delete(id);
        this.markDeleted(id);
      }
    }
  }

  forget(id: number): void {
    this.names.delete(id);
    this.markDeleted(id);
    this.unconfirmed.delete(id);
  }

  /** Ids the directory keeps besides the names (for tests of the bound). */
  get tracked(): { deleted: number; unconfirmed: number } {
    return { deleted: this.deleted.size, unconfirmed: this.unconfirmed.size };
  }

  private markDeleted(id: number): void {
    this.deleted.add(id);
    if (this.deleted.size > MAX_TRACKED_IDS) this.deleted.delete(this.deleted.values().next().value as number);
  }

  /**
   * Reads every group now (up to `maxPages` pages of 250), takes them in and returns them; fails
   * when BigCommerce does (group precedence needs the names).
   */
  async load(maxPages = LOAD_PAGES): Promise<CustomerGroup[]> {
    // Where the asks stand before the listing is read: it settles only the ids asked before.
    const mark = this.asks;
    const pages: CustomerGroup[][] = [];
    for (let page = 1; page <= maxPages; page++) {
      const groups = await this.client.customerGroups.list({ page, limit: 250 });
      pages.push(groups);
      if (groups.length < 250) {
        this.remember(pages, true, mark);
        return pages.flat();
      }
    }
    this.remember(pages);
    return pages.flat();
  }

  /** The background refresh: a failure keeps the names known so far. */
  async refresh(): Promise<void> {
    try {
      await this.load();
    } catch (err) {
      this.notRefreshed(err);
    }
  }

  private notRefreshed(err: unknown): void {
    this.logger.warn({ err: { code: (err as { code?: string }).code, message: (err as Error).message } }, "customer group names not refreshed");
  }

  /** One listing at a time, at most one per CONFIRM_GAP_MS, to settle the unconfirmed ids. */
  private confirmSoon(): void {
    if (this.confirming || this.clock.now() - this.lastConfirmAt < CONFIRM_GAP_MS) return;
    this.confirming = true;
    this.lastConfirmAt = this.clock.now();
    void this.confirm().finally(() => {
      this.confirming = false;
    });
  }

  /**
   * A listing, then a read of each id it left at a page break (a few per round): those a listing
   * cannot settle, such as the id of a group deleted long ago between two pages, or any id above
   * a store whose last page is full. A failure settles nothing and keeps the names known so far.
   */
  private async confirm(): Promise<void> {
    try {
      await this.load();
      const open = [...this.unconfirmed.keys()].filter((id) => atPageBreak(this.pageBreaks, id)).slice(0, CONFIRM_READS);
      for (const id of open) {
        const groupId = toCustomerGroupId(id);
        const group = groupId === null ? null : await this.client.customerGroups.get(groupId);
        if (group) {
          this.set(id, group.name);
        } else if (this.unconfirmed.delete(id)) {
          this.markDeleted(id);
        }
      }
    } catch (err) {
      this.notRefreshed(err);
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

/** Ids between two pages of a listing, neither page showing them: open at both ends. */
interface PageBreak {
  low: number;
  high: number;
}

/**
 * Where a listing read page by page may have skipped a group: between the highest id of each
 * page and the lowest of the next (above the last full page when the next came back empty).
 * A group never skipped within a page or below the first, nor above a last page that shows
 * groups: a delete only moves groups towards lower offsets, across the break being read.
 */
function pageBreaksOf(pages: readonly (readonly CustomerGroup[])[]): PageBreak[] {
  const breaks: PageBreak[] = [];
  for (let i = 0; i + 1 < pages.length; i++) {
    const low = Math.max(...(pages[i] ?? []).map((g) => g.id));
    const next = pages[i + 1] ?? [];
    const high = next.length === 0 ? Number.POSITIVE_INFINITY : Math.min(...next.map((g) => g.id));
    if (high - low > 1) breaks.push({ low, high });
  }
  return breaks;
}

function atPageBreak(breaks: readonly PageBreak[], id: number): boolean {
  return breaks.some((b) => id > b.low && id < b.high);
}
