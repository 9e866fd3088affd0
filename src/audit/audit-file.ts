import { appendFileSync, existsSync, mkdirSync, renameSync, rmSync, statSync } from "node:fs";
import { dirname } from "node:path";

export interface AuditFileOptions {
  path: string;
  /** Rotate before a line would take the file past this size. */
  maxBytes: number;
  /** Rotated files kept beside it (`<path>.1` newest … `<path>.<keep>` oldest). */
  keep: number;
}

/**
 * An append-only JSON Lines file that survives restarts (opened for appending, never truncated)
 * and rotates by size. Lines are written synchronously, one `write` each: audit events come at
 * the rate of SCIM writes (bounded by the store's API quota), and lines stay in the order of
 * the events, even across a crash.
 */
export class AuditFile {
  private size: number;

  constructor(private readonly options: AuditFileOptions) {
    mkdirSync(dirname(options.path), { recursive: true });
    this.size = existsSync(options.path) ? statSync(options.path).size : 0;
  }

  append(event: object): void {
    const line = `${JSON.stringify(event)}\n`;
    const bytes = Buffer.byteLength(line);
    if (this.size > 0 && this.size + bytes > this.options.maxBytes) this.rotate();
    appendFileSync(this.options.path, line, { mode: 0o600 });
    this.size += bytes;
  }

  private rotate(): void {
    const { path, keep } = this.options;
    rmSync(`${path}.${keep}`, { force: true });
    for (let i = keep - 1; i >= 1; i -= 1) {
      if (existsSync(`${path}.${i}`)) renameSync(`${path}.${i}`, `${path}.${i + 1}`);
    }
    renameSync(path, `${path}.1`);
    this.size = 0;
  }
}
