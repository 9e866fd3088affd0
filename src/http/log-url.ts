/**
 * The URL as request logs show it at info level: the path, and of the query only what cannot
 * carry a customer's data. A filter keeps its shape with every quoted value masked
 * (`userName eq "***"`), so `filter=userName eq "<email>"` never puts an email in the logs;
 * other parameters keep their values only when they are names or numbers. The full URL is
 * logged at debug level instead.
 */
const PLAIN_PARAMS = new Set(["attributes", "excludedattributes", "startindex", "count", "sortby", "sortorder"]);
export const MASK = "***";

export function maskFilter(filter: string): string {
  return filter.replace(/"(?:[^"\\]|\\.)*"?/g, `"${MASK}"`).replace(/\b(eq|ne|co|sw|ew|gt|ge|lt|le)\s+(?!")(\S+)/gi, `$1 ${MASK}`);
}

export function maskedUrl(url: string): string {
  const q = url.indexOf("?");
  if (q === -1) return url;
  const params = new URLSearchParams(url.slice(q + 1));
  const shown: string[] = [];
  for (const [name, value] of params) {
    const key = name.toLowerCase();
    const masked = key === "filter" ? maskFilter(value) : PLAIN_PARAMS.has(key) ? value : MASK;
    shown.push(`${encodeURIComponent(name)}=${encodeURIComponent(masked)}`);
  }
  return `${url.slice(0, q)}?${shown.join("&")}`;
}
