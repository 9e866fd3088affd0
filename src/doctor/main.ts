import { createLogger } from "../logger.js";
import { formatReport, runDoctor } from "./doctor.js";

/**
 * `npm run doctor` (in the image: `node dist/doctor/main.js`): checks the set-up the bridge would
 * start with, prints pass/warn/fail with a fix for each, and the identity providers' settings.
 * Exit status 0 when the bridge can serve, 1 when it cannot, 2 on a wrong argument.
 * `--json`: the report as one JSON document, for machines.
 */
async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const unknown = args.filter((a) => a !== "--json");
  if (unknown.length > 0) {
    process.stderr.write(`doctor: unknown argument ${unknown[0]} (usage: doctor [--json])\n`);
    process.exit(2);
  }
  // Its own log (Redis reconnects and the like) only when something is badly wrong.
  const report = await runDoctor(process.env, createLogger("error", process.stderr));
  process.stdout.write(args.includes("--json") ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
  process.exit(report.ok ? 0 : 1);
}

main().catch((err) => {
  process.stderr.write(`doctor failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
