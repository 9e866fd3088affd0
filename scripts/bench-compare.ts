/**
 * Before and after, cell by cell: reads the JSON lines `npm run bench -- --json FILE` appends (one
 * per cell and run) for two versions of the bridge, and prints the sweep's comparison table.
 *
 *   npm run bench:compare -- before.jsonl after.jsonl             # every cell
 *   npm run bench:compare -- before.jsonl after.jsonl --summary   # the README's table: per IdP
 *                                            # concurrency and latency, the worst cycle's ratio
 *
 * Measure both on the same machine in one period, interleaved (the two checkouts' sweeps cell
 * group by cell group, alternating which goes first), several runs each: where a cell ran more
 * than once, the table shows the median of its runs, and the ratio column the worst run too.
 * Calls per user hardly move between runs; times do, with the machine's load.
 */
import { readFileSync } from "node:fs";
import { z } from "zod";

const CellLine = z.object({
  cycle: z.string(),
  concurrency: z.number(),
  latencyMs: z.number(),
  users: z.number(),
  mode: z.literal("sweep"),
  callsPerUser: z.number(),
  minimum: z.number().positive(),
  p50: z.number(),
  p95: z.number(),
  upstream429: z.number(),
  idp429: z.number(),
});
type CellLine = z.infer<typeof CellLine>;

const [beforeFile, afterFile] = process.argv.slice(2).filter((a) => !a.startsWith("--"));
const SUMMARY = process.argv.includes("--summary");
if (!beforeFile || !afterFile) {
  console.error("usage: npm run bench:compare -- before.jsonl after.jsonl");
  process.exit(2);
}

/** The cells of a file, each with its runs, in the order they first appear. */
function cellsOf(file: string): Map<string, CellLine[]> {
  const cells = new Map<string, CellLine[]>();
  for (const [i, text] of readFileSync(file, "utf8").split("\n").entries()) {
    if (text.trim() === "") continue;
    const parsed = CellLine.safeParse(JSON.parse(text));
    if (!parsed.success) {
      // --classic lines and other shapes are not part of the sweep's table.
      if (!text.includes('"mode":"sweep"')) continue;
      throw new Error(`${file}:${i + 1}: ${parsed.error.issues[0]?.message ?? "not a sweep cell"}`);
    }
    const key = keyOf(parsed.data);
    cells.set(key, [...(cells.get(key) ?? []), parsed.data]);
  }
  return cells;
}

const keyOf = (c: CellLine) => `${c.latencyMs}|${c.concurrency}|${c.cycle}`;
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};
const of = (runs: CellLine[], f: (c: CellLine) => number) => median(runs.map(f));

const before = cellsOf(beforeFile);
const after = cellsOf(afterFile);
const ratio = (r: CellLine[]) => of(r, (c) => c.callsPerUser / c.minimum);
const fmt = (x: number) => x.toFixed(2);
if (SUMMARY) summary();
else table();

/** Per IdP concurrency (rows) and latency (columns): the highest ratio of any cycle, before → after. */
function summary(): void {
  const worst = (cells: Map<string, CellLine[]>, latency: number, concurrency: number) => {
    const ratios = [...cells.values()].filter((r) => r[0]!.latencyMs === latency && r[0]!.concurrency === concurrency).map(ratio);
    return ratios.length === 0 ? "–" : fmt(Math.max(...ratios));
  };
  const all = [...after.values()].map((r) => r[0]!);
  const latencies = [...new Set(all.map((c) => c.latencyMs))].sort((a, b) => a - b);
  const concurrencies = [...new Set(all.map((c) => c.concurrency))].sort((a, b) => a - b);
  console.log(`| IdP connections / BigCommerce latency | ${latencies.map((l) => `${l} ms`).join(" | ")} |`);
  console.log(`|---|${latencies.map(() => "---").join("|")}|`);
  for (const c of concurrencies) {
    console.log(`| ${c} | ${latencies.map((l) => `${worst(before, l, c)} → **${worst(after, l, c)}**`).join(" | ")} |`);
  }
}

function table(): void {
  const runs = Math.max(...[...after.values()].map((r) => r.length));
  console.log(
    `Before: ${beforeFile}; after: ${afterFile}; ${runs === 1 ? "one run per cell" : `median of up to ${runs} runs per cell; ratio: median (worst run)`}.\n`,
  );
  console.log(
    "| cycle | IdP conns | latency ms | users | minimum | calls/user before → after | ratio before → after | p50 ms before → after | p95 ms before → after | p95 change | 429s up/IdP before → after |",
  );
  console.log("|---|---|---|---|---|---|---|---|---|---|---|");
  for (const [key, a] of after) {
    const b = before.get(key);
    const cell = a[0]!;
    const worst = Math.max(...a.map((c) => c.callsPerUser / c.minimum));
    const ms = (x: number) => x.toFixed(0);
    const p95a = of(a, (c) => c.p95);
    const p95b = b ? of(b, (c) => c.p95) : undefined;
    const change = p95b ? `${p95a >= p95b ? "+" : ""}${Math.round((100 * (p95a - p95b)) / p95b)} %` : "";
    const four29 = (r: CellLine[]) => `${r.reduce((s, c) => s + c.upstream429, 0)}/${r.reduce((s, c) => s + c.idp429, 0)}`;
    console.log(
      `| ${cell.cycle} | ${cell.concurrency} | ${cell.latencyMs} | ${cell.users} | ${fmt(cell.minimum)} | ` +
        `${b ? fmt(of(b, (c) => c.callsPerUser)) : "–"} → **${fmt(of(a, (c) => c.callsPerUser))}** | ` +
        `${b ? fmt(ratio(b)) : "–"} → **${fmt(ratio(a))}**${a.length > 1 ? ` (${fmt(worst)})` : ""} | ` +
        `${b ? ms(of(b, (c) => c.p50)) : "–"} → ${ms(of(a, (c) => c.p50))} | ${p95b === undefined ? "–" : ms(p95b)} → ${ms(p95a)} | ${change} | ` +
        `${b ? four29(b) : "–"} → ${four29(a)} |`,
    );
  }
}
