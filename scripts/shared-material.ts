import { existsSync } from "node:fs";
import path from "node:path";

/**
 * `npm run conformance` and `npm run compat` check the bridge against material that is not part of
 * the repository (BigCommerce's specs and captured responses, the IdPs' test suites). It sits in
 * ../shared in the development checkout, or wherever SHARED_DIR says. Without it they stop with a
 * message saying so, not with an ENOENT stack trace.
 */
export function sharedMaterial(repoRoot: string, command: string, needs: readonly string[]): string {
  const dir = path.resolve(process.env.SHARED_DIR || path.resolve(repoRoot, "../shared"));
  const missing = needs.filter((p) => !existsSync(path.join(dir, p)));
  if (missing.length > 0) {
    process.stderr.write(
      [
        `${command}: the shared test material it checks against is missing.`,
        `  Looked in ${dir} for: ${missing.join(", ")}`,
        "  It lies beside the repository (../shared) in the development checkout; copy it there or set",
        "  SHARED_DIR to where it is. `npm test` does not need it.",
        "",
      ].join("\n"),
    );
    process.exit(2);
  }
  return dir;
}
