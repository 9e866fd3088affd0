import type { Logger } from "pino";

/** Names remembered as already warned about; past it, the rest are counted but not named again. */
const MAX_REMEMBERED = 1000;

/**
 * Makes attributes that nothing maps visible without flooding the log: one warning per attribute
 * name per process (the memory of names seen is bounded), and every occurrence counted (the
 * counter bounds its own labels, http/metrics.ts).
 */
export class UnmappedReport {
  private readonly warned = new Set<string>();
  private full = false;

  constructor(
    private readonly logger: Logger,
    private readonly count: (name: string) => void,
  ) {}

  readonly report = (names: readonly string[]): void => {
    for (const name of new Set(names)) {
      this.count(name);
      if (this.warned.has(name)) continue;
      if (this.warned.size >= MAX_REMEMBERED) {
        if (!this.full) {
          this.full = true;
          this.logger.warn({ remembered: MAX_REMEMBERED }, "more unmapped attributes arrive; they are counted in /metrics but no longer named here");
        }
        continue;
      }
      this.warned.add(name);
      this.logger.warn(
        { attribute: name },
        "an IdP sent an attribute that nothing maps; it is not stored (map it in SCIM_MAPPING_FILE, or stop sending it)",
      );
    }
  };
}
