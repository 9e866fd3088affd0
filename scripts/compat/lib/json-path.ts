/** Reads `a.b[0].c` style paths (Runscope / Postman property syntax) from parsed JSON. */
export function readPath(value: unknown, path: string): unknown {
  const tokens: (string | number)[] = [];
  for (const part of path.split(".")) {
    const m = /^([^[\]]*)((?:\[\d+\])*)$/.exec(part);
    if (!m) {
      tokens.push(part);
      continue;
    }
    if (m[1]) tokens.push(m[1]);
    for (const idx of m[2]!.matchAll(/\[(\d+)\]/g)) tokens.push(Number(idx[1]));
  }
  let cur: unknown = value;
  for (const t of tokens) {
    if (cur === null || cur === undefined) return undefined;
    if (typeof t === "number") {
      if (!Array.isArray(cur)) return undefined;
      cur = cur[t];
    } else {
      if (typeof cur !== "object") return undefined;
      cur = (cur as Record<string, unknown>)[t];
    }
  }
  return cur;
}
