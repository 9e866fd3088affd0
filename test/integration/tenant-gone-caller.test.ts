/**
 * A tenant's requests in flight (src/tenants/tenant.ts): a request whose IdP hung up while it
 * waited for its tenant's rebuild is not counted in flight for good, and not served.
 */
import { createHash } from "node:crypto";
import { createServer, type Server } from "node:http";
import { connect, type AddressInfo } from "node:net";
import express from "express";
import { afterEach, describe, expect, it } from "vitest";
import { composeBridge } from "../../src/compose.js";
import { logLinesInto } from "../../src/dev/bridge-harness.js";
import { startEmulator, type RunningEmulator } from "../../src/emulator/index.js";
import { createLogger } from "../../src/logger.js";
import { Tenant } from "../../src/tenants/tenant.js";
import { tenantSetup } from "../../src/tenants/tenant-config.js";
import { newUser } from "./helpers.js";

const TOKEN = "acme-scim-token-0123456789";
const STORE = "acmestore";

let server: Server | undefined;
let emulator: RunningEmulator | undefined;
let tenant: Tenant | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  await tenant?.close();
  await emulator?.close();
  server = undefined;
  tenant = undefined;
  emulator = undefined;
});

/** Lets the server's callbacks run until `ready()`. */
async function until(ready: () => boolean): Promise<void> {
  while (!ready()) await new Promise((r) => setImmediate(r));
}

describe("a tenant's requests in flight", () => {
  it("a request whose IdP hung up during its tenant's rebuild does not keep the rebuilt bridge busy until the drain bound, and writes nothing", async () => {
    emulator = await startEmulator({ port: 0 });
    const lines: string[] = [];
    const logger = createLogger("info", logLinesInto(lines));
    const setup = tenantSetup(
      {
        id: "acme",
        storeHash: STORE,
        accessToken: "emulator-token",
        apiUrl: emulator.url,
        tokenDigests: [createHash("sha256").update(TOKEN).digest()],
        settings: {},
        fingerprint: "1",
      },
      {},
    );
    // The test holds a build back, as a slow store would.
    let gate: Promise<void> = Promise.resolve();
    tenant = new Tenant(setup, {
      logger,
      retryMs: 60_000,
      drainMs: 2_000,
      build: async (s, log, authenticate) => {
        await gate;
        return composeBridge(s.config, { logger: log, upstream: s.upstream, tenant: { basePath: `/t/${s.id}`, authenticate } });
      },
    });
    await tenant.settled();

    // As the front routes a tenant's request (src/tenants/front.ts).
    const arrived: number[] = [];
    const hungUp: Promise<void>[] = [];
    const app = express();
    app.use("/t/:tenant", (req, res, next) => {
      hungUp.push(new Promise((resolve) => res.once("close", () => resolve())));
      arrived.push(1);
      tenant!.auth(req, res, (err?: unknown) => (err ? next(err) : void tenant!.serve(req, res, next).catch(next)));
    });
    server = createServer(app);
    await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", () => resolve()));
    const port = (server.address() as AddressInfo).port;

    // The tenant changes: its new bridge waits for the test.
    let release!: () => void;
    gate = new Promise((resolve) => (release = resolve));
    tenant.replace(setup);

    const email = "gone.before.served@example.com";
    const body = JSON.stringify(newUser(email));
    const socket = connect(port, "127.0.0.1");
    socket.write(
      `POST /t/acme/scim/v2/Users HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Type: application/scim+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
    await until(() => arrived.length === 1);
    socket.destroy(); // the IdP's own timeout, while the tenant was rebuilt
    await hungUp[0];
    release();
    await tenant.settled();

    // Retiring the new bridge does not wait for that request: it never finishes, and would have
    // held the bridge open until the drain bound, each time.
    await tenant.close();
    expect(lines.filter((l) => l.includes("after the drain bound"))).toEqual([]);
    expect(lines.some((l) => l.includes("caller went away before its tenant could serve it"))).toBe(true);
    expect(emulator.store(STORE).customers.where((c) => c.email === email)).toHaveLength(0);
  });
});
