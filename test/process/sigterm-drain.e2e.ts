import { execFileSync } from "node:child_process";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { connect } from "node:net";
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

describe("the image's CMD", () => {
  it("is node itself, and it drains a request in flight on SIGTERM, then exits 0", async () => {
    const { cmd, env } = imageCommand();
    expect(cmd[0]).toBe("node");
    expect(env.NODE_OPTIONS).toContain("--enable-source-maps");
    const { child, lines, exited, waitForLine } = spawnWithLines(cmd[0]!, cmd.slice(1), {
      cwd: dir,
      env: {
        PATH: process.env.PATH ?? "",
        ...env,
        PORT: "0",
        HOST: "127.0.0.1",
        SCIM_BEARER_TOKENS: TOKEN,
        LOG_LEVEL: "debug",
        EMULATOR_LATENCY_MS: "700",
      },
    });

    const listening = await waitForLine((l) => l.includes("SCIM bridge listening"));
    const port = (JSON.parse(listening) as { port: number }).port;
    const seenBefore = lines.length;

    // A create makes several emulator calls, each 700 ms: once the first has been answered the
    // request is certainly in flight, with more upstream work still to do.
    const inFlight = fetch(`http://127.0.0.1:${port}/scim/v2/Users`, {
      method: "POST",
      headers: { Authorization: `Bearer ${TOKEN}`, "Content-Type": "application/scim+json" },
      body: JSON.stringify({ schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"], userName: "drain@x.test", name: { givenName: "D", familyName: "R" } }),
    });
    await waitForLine((l) => lines.indexOf(l) >= seenBefore && l.includes('"bigcommerce call"'));
    child.kill("SIGTERM");

    const res = await inFlight;
    expect(res.status).toBe(201);
    expect(res.headers.get("connection")).toBe("close");
    expect(((await res.json()) as { userName: string }).userName).toBe("drain@x.test");
    expect(await exited).toBe(0);
    expect(lines.some((l) => l.includes('"shutting down"'))).toBe(true);
  });

  it("exits 1 when a request is still running at the drain limit (10 s after SIGTERM), not before", async () => {
    const { cmd, env } = imageCommand();
    const { child, lines, exited, waitForLine } = spawnWithLines(cmd[0]!, cmd.slice(1), {
      cwd: dir,
      env: { PATH: process.env.PATH ?? "", ...env, PORT: "0", HOST: "127.0.0.1", SCIM_BEARER_TOKENS: TOKEN },
    });
    const listening = await waitForLine((l) => l.includes("SCIM bridge listening"));
    const port = (JSON.parse(listening) as { port: number }).port;

    // A request whose body never comes: the server answers `100 Continue` once it has taken the
    // headers in, so the request is certainly in flight when the signal arrives.
    const socket = connect(port, "127.0.0.1");
    socket.on("error", () => undefined);
    await once(socket, "connect");
    let received = "";
    socket.on("data", (chunk: Buffer) => (received += chunk.toString()));
    socket.write(
      `POST /scim/v2/Users HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Type: application/scim+json\r\nContent-Length: 1000\r\nExpect: 100-continue\r\n\r\n`,
    );
    while (!received.includes("100 Continue")) await once(socket, "data");
    socket.write('{"schemas":');
    const signalled = Date.now();
    child.kill("SIGTERM");

    expect(await exited).toBe(1);
    // A lower bound only: it waited for the request as long as the drain limit allows.
    expect(Date.now() - signalled).toBeGreaterThanOrEqual(9_900);
    expect(lines.some((l) => l.includes('"shutting down"'))).toBe(true);
    expect(lines.some((l) => l.includes("exiting anyway"))).toBe(true);
    expect(received).not.toMatch(/HTTP\/1\.1 [2-5]\d\d/);
    socket.destroy();
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
