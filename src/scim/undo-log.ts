import type { Logger } from "pino";
import { currentDeadline, runWithDeadline } from "../bigcommerce/index.js";

/**
 * The inverse of each write a SCIM request has made (or may have made) so far, so that a
 * request that fails half-way leaves the resource as it was (RFC 7644 §3.5.2). Each inverse
 * restores the state read before the request, so running it is harmless when the write it
 * reverses did not land. Inverses run newest first and stop at the first that fails: what is
 * left is then a prefix of the request's own writes, in the order chosen so that the IdP's
 * retry of the same request completes it.
 */
export class UndoLog {
  private readonly steps: { what: string; run: () => Promise<unknown> }[] = [];

  constructor(
    private readonly logger: Logger,
    /** What the writes were to, for the log line: `{ customerId }` or `{ groupId }`. */
    private readonly subject: Readonly<Record<string, number>>,
  ) {}

  push(what: string, run: () => Promise<unknown>): void {
    this.steps.push({ what, run });
  }

  /**
   * Runs the inverses; never throws (the caller rethrows the error that made it undo). A request
   * stopped by its deadline still undoes: the inverses may use the time up to its hard limit
   * (bigcommerce/deadline.ts), which stays inside the IdP's 60 s.
   */
  async rollBack(): Promise<void> {
    const deadline = currentDeadline();
    while (this.steps.length > 0) {
      const step = this.steps.pop()!;
      try {
        await (deadline ? runWithDeadline({ at: deadline.hardAt, hardAt: deadline.hardAt }, step.run) : step.run());
      } catch (err) {
        this.logger.warn(
          { err: { code: (err as { code?: string }).code }, ...this.subject, step: step.what, left: this.steps.length },
          "failed write not fully undone; the IdP's retry of the request completes it",
        );
        return;
      }
    }
  }
}
