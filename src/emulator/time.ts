/** Timestamp formats BigCommerce uses, each on its own resource family. */

/** Customers, attributes, attribute values: `2023-01-30T00:49:10Z` (seconds resolution). */
export function isoSeconds(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** Metafields: `2022-06-16T18:39:00+00:00`. */
export function isoOffset(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "+00:00");
}

/** V2 customer groups (spec example): `2023-07-17 06:30:41`. */
export function v2DateTime(date: Date): string {
  return date.toISOString().replace("T", " ").replace(/\.\d{3}Z$/, "");
}

/** Milliseconds since epoch of any of the formats above (for date filters and sorting). */
export function toEpochMs(stamp: string): number {
  return Date.parse(stamp.includes("T") ? stamp : stamp.replace(" ", "T") + "Z");
}

/**
 * Parses a date filter value: `2024-05-14`, `2024-05-14T09:34:00` (UTC when no zone), a full
 * ISO timestamp, or a UNIX timestamp in seconds. Returns null when unparseable.
 * `dateOnly` tells the caller that the value names a whole day.
 */
export function parseFilterDate(raw: string): { ms: number; dateOnly: boolean } | null {
  const value = raw.trim();
  if (/^\d{1,11}$/.test(value)) return { ms: Number(value) * 1000, dateOnly: false };
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) {
    const ms = Date.parse(`${value}T00:00:00Z`);
    return Number.isNaN(ms) ? null : { ms, dateOnly: true };
  }
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/.test(value)) return null;
  const hasZone = /(Z|[+-]\d{2}:?\d{2})$/.test(value);
  const ms = Date.parse(hasZone ? value : `${value}Z`);
  return Number.isNaN(ms) ? null : { ms, dateOnly: false };
}
