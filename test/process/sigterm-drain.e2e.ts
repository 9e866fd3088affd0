import { execFileSync } from "node:child_process";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildToTempDir, root, spawnWithLines } from "./built-process.js";

/**
 * Issue 8, item 11: the Docker image's exact CMD (and ENV), run on a fresh build, drains a request
 * in flight when it receives SIGTERM and exits 0. The build goes to a temporary directory beside a
 * link to this checkout's node_modules, as the image has dist/ beside its production modules.
 */
const TOKEN = "sigterm-drain-token-0123456789";

/** CMD and ENV of the Dockerfile's last stage, read from the file itself. */
function imageCommand(): { cmd: string[]; env: Record<string, string> } {
  const text = readFileSync(join(root, "Dockerfile"), "utf8").replace(/\\\n/g, " ");
  const runtime = text.slice(text.lastIndexOf("\nFROM "));
  const cmdLine = /^CMD\s+(\[.*\])\s*$/m.exec(runtime)?.[1];
  if (!cmdLine) throw new Error("no exec-form CMD in the Dockerfile's last stage");
  const env: Record<string, string> = {};
  for (const line of runtime.split("\n").filter((l) => l.startsWith("ENV "))) {
    for (const pair of line.slice(4).trim().split(/\s+/)) {
      const eq = pair.indexOf("=");
      if (eq > 0) env[pair.slice(0, eq)] = pair.slice(eq + 1);
    }
  }
  return { cmd: JSON.parse(cmdLine) as string[], env };
}

let build: ReturnType<typeof buildToTempDir>;
let dir: string;
beforeAll(() => {
  build = buildToTempDir("bridge-image-");
  dir = build.dir;
});
afterAll(() => build?.remove());

/**
 * A POST /Users whose body is held back: the server answers `100 Continue` once it has taken the
 * headers in, so the request is certainly in flight from then on, whatever the machine's speed.
 */
async function heldCreate(port: number, userName: string) {
  const body = JSON.stringify({ schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"], userName, name: { givenName: "D", familyName: "R" } });
  const req = httpRequest({
    host: "127.0.0.1",
    port,
    method: "POST",
    path: "/scim/v2/Users",
    headers: { Authorization: `Bearer ${TOKEN}`, "Content-Type": "application/scim+json", "Content-Length": Buffer.byteLength(body), Expect: "100-continue" },
  });
  const answer = new Promise<{ status: number; connection: string | undefined; body: string }>((resolve, reject) => {
    req.once("response", (res) => {
      let text = "";
      res.on("data", (chunk: Buffer) => (text += chunk.toString()));
      res.once("end", () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, body: text }));
    });
    req.once("error", reject);
  });
  req.flushHeaders();
  await once(req, "continue");
  return { answer, sendBody: () => req.end(body) };
}

describe("the image's CMD", () => {
  it("is node itself, and it drains a request in flight on SIGTERM, then exits 0", async () => {
    const { cmd, env } = imageCommand();
    expect(cmd[0]).toBe("node");
    expect(env.NODE_OPTIONS).toContain("--enable-source-maps");
    const { child, lines, exited, waitForLine } = spawnWithLines(cmd[0]!, cmd.slice(1), {
      cwd: dir,
      env: { PATH: process.env.PATH ?? "", ...env, PORT: "0", HOST: "127.0.0.1", SCIM_BEARER_TOKENS: TOKEN },
    });
    const listening = await waitForLine((l) => l.includes("SCIM bridge listening"));
    const port = (JSON.parse(listening) as { port: number }).port;

    // The signal arrives while the request is in flight; its body (and so all its work) only after.
    const create = await heldCreate(port, "drain@x.test");
    child.kill("SIGTERM");
    await waitForLine((l) => l.includes('"shutting down"'));
    create.sendBody();

    const res = await create.answer;
    expect(res.status).toBe(201);
    expect((JSON.parse(res.body) as { userName: string }).userName).toBe("drain@x.test");
    // Its connection is closed after the answer, so no kept-alive connection holds the exit.
    expect(res.connection).toBe("close");
    expect(await exited).toBe(0);
    expect(lines.some((l) => l.includes("exiting anyway"))).toBe(false);
  });

  it("exits 1 when a request is still running at the drain limit (10 s after SIGTERM), not before", async () => {
    const { cmd, env } = imageCommand();
    const { child, lines, exited, waitForLine } = spawnWithLines(cmd[0]!, cmd.slice(1), {
      cwd: dir,
      env: { PATH: process.env.PATH ?? "", ...env, PORT: "0", HOST: "127.0.0.1", SCIM_BEARER_TOKENS: TOKEN },
    });
    const listening = await waitForLine((l) => l.includes("SCIM bridge listening"));
    const port = (JSON.parse(listening) as { port: number }).port;

    // Its body never comes.
    const create = await heldCreate(port, "never@x.test");
    const answered = create.answer.then(
      () => true,
      () => false,
    );
    const signalled = Date.now();
    child.kill("SIGTERM");

    expect(await exited).toBe(1);
    // A lower bound only: it waited for the request as long as the drain limit allows.
    expect(Date.now() - signalled).toBeGreaterThanOrEqual(9_900);
    expect(lines.some((l) => l.includes('"shutting down"'))).toBe(true);
    expect(lines.some((l) => l.includes("exiting anyway"))).toBe(true);
    expect(await answered).toBe(false);
  });
});

describe("the image's doctor command", () => {
  it("runs from the build as `node dist/doctor/main.js` and passes on the embedded emulator", () => {
    const { env } = imageCommand();
    const out = execFileSync("node", ["dist/doctor/main.js", "--json"], { cwd: dir, env: { PATH: process.env.PATH ?? "", ...env }, encoding: "utf8", timeout: 60_000 });
    const report = JSON.parse(out) as { ok: boolean; checks: { id: string; status: string }[] };
    expect(report.ok).toBe(true);
    expect(report.checks.find((c) => c.id === "credentials")?.status).toBe("pass");
  });
});
