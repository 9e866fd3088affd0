/**
 * What the process-level tests share: a fresh build of the bridge in a temporary directory beside a
 * link to this checkout's node_modules (as the image has dist/ beside its production modules), and
 * a spawned process whose output lines the test reads as they come.
 */
import { spawn, execFileSync, type ChildProcess, type SpawnOptions } from "node:child_process";
import { copyFileSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const root = fileURLToPath(new URL("../../", import.meta.url));

/** Compiles src/ to `<dir>/dist` (tsconfig.build.json); `remove()` deletes the directory. */
export function buildToTempDir(prefix: string): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  copyFileSync(join(root, "package.json"), join(dir, "package.json"));
  symlinkSync(join(root, "node_modules"), join(dir, "node_modules"), "dir");
  execFileSync(process.execPath, [join(root, "node_modules/typescript/bin/tsc"), "-p", join(root, "tsconfig.build.json"), "--outDir", join(dir, "dist")], {
    stdio: "inherit",
  });
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface Spawned {
  child: ChildProcess;
  /** Standard output, a line each (standard error as `stderr: …`), as they arrive. */
  lines: string[];
  /** The exit code, once the process has exited. */
  exited: Promise<number | null>;
  /** The first line (already seen or still to come) that passes `test`; rejects if the process exits first. */
  waitForLine(test: (line: string) => boolean): Promise<string>;
}

export function spawnWithLines(command: string, args: readonly string[], options: SpawnOptions): Spawned {
  const child = spawn(command, args, { ...options, stdio: ["ignore", "pipe", "pipe"] });
  const lines: string[] = [];
  let partial = "";
  child.stdout!.on("data", (chunk: Buffer) => {
    const parts = (partial + chunk.toString()).split("\n");
    partial = parts.pop() ?? "";
    lines.push(...parts);
  });
  child.stderr!.on("data", (chunk: Buffer) => lines.push(`stderr: ${chunk.toString()}`));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const waitForLine = (test: (line: string) => boolean) =>
    new Promise<string>((resolve, reject) => {
      const check = () => {
        const found = lines.find(test);
        if (found !== undefined) {
          child.stdout!.off("data", check);
          child.off("exit", early);
          resolve(found);
        }
      };
      const early = (code: number | null) => reject(new Error(`exited (${code}) before the expected line:\n${lines.join("\n")}`));
      child.stdout!.on("data", check);
      child.once("exit", early);
      check();
    });
  return { child, lines, exited, waitForLine };
}
