/**
 * A table of rows keyed by an auto-increment integer id, like BigCommerce's. Reads hand out
 * copies so that neither routes nor tests can change stored state by accident: every change
 * goes through `insertRow`/`save`/`delete`.
 */
export class Repository<T extends { id: number }> {
  protected readonly rows = new Map<number, T>();
  private nextId = 1;

  /** Stores a new row under the next id and returns a copy. */
  protected insertRow(row: Omit<T, "id">): T {
    const stored = { ...structuredClone(row), id: this.nextId++ } as T;
    this.rows.set(stored.id, stored);
    return structuredClone(stored);
  }

  /** Replaces an existing row (by id). */
  save(row: T): T {
    if (!this.rows.has(row.id)) throw new Error(`no row with id ${row.id}`);
    this.rows.set(row.id, structuredClone(row));
    return structuredClone(row);
  }

  get(id: number): T | undefined {
    const row = this.rows.get(id);
    return row === undefined ? undefined : structuredClone(row);
  }

  has(id: number): boolean {
    return this.rows.has(id);
  }

  /** Every row, id ascending (ids only grow, so insertion order is id order). */
  all(): T[] {
    return [...this.rows.values()].map((row) => structuredClone(row));
  }

  /** Rows matching a predicate, id ascending; only the matches are copied. */
  where(predicate: (row: Readonly<T>) => boolean): T[] {
    const out: T[] = [];
    for (const row of this.rows.values()) if (predicate(row)) out.push(structuredClone(row));
    return out;
  }

  delete(id: number): boolean {
    return this.rows.delete(id);
  }

  count(): number {
    return this.rows.size;
  }

  /** Forgets every row and restarts ids at 1. */
  clear(): void {
    this.rows.clear();
    this.nextId = 1;
  }
}
