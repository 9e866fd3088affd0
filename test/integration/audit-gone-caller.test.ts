/**
 * The audit trail's one event per SCIM write (src/http/audit-writes.ts), also for a request whose
 * IdP hung up before it reached the audit: its work goes on (src/http/idp-connection.ts).
 */
import { createServer, type Server } from "node:http";
import { connect, type AddressInfo } from "node:net";
import express from "express";
import { afterEach, describe, expect, it } from "vitest";
import { AuditTrail } from "../../src/audit/audit-trail.js";
import { logLinesInto } from "../../src/dev/bridge-harness.js";
import { auditWrites } from "../../src/http/audit-writes.js";
import { createLogger } from "../../src/logger.js";

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

/** Lets the server's callbacks run until `ready()`. */
async function until(ready: () => boolean): Promise<void> {
  while (!ready()) await new Promise((r) => setImmediate(r));
}

describe("auditWrites", () => {
  it("records the write of an IdP that hung up before its request reached the audit (during a JWT's check)", async () => {
    const lines: string[] = [];
    const trail = AuditTrail.open(createLogger("info", logLinesInto(lines)), null);
    const arrived: (() => void)[] = [];
    const hungUp: Promise<void>[] = [];
    let worked = 0;
    const app = express();
    app.use((_req, res, next) => {
      hungUp.push(new Promise((resolve) => res.once("close", () => resolve())));
      arrived.push(next); // an asynchronous step the test releases, as a JWT's check
    });
    app.use("/scim/v2", auditWrites(trail));
    app.use((_req, res) => {
      worked += 1; // the deletion happens
      res.status(204).end();
    });
    server = createServer(app);
    await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", () => resolve()));
    const socket = connect((server.address() as AddressInfo).port, "127.0.0.1");
    socket.write("DELETE /scim/v2/Users/7 HTTP/1.1\r\nHost: x\r\n\r\n");
    await until(() => arrived.length === 1);
    socket.destroy();
    await hungUp[0];
    arrived[0]!();
    await until(() => worked === 1);
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    const events = lines.map((l) => JSON.parse(l) as { msg?: string; operation?: string; resourceId?: string; status?: number }).filter((l) => l.msg === "audit");
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ operation: "delete", resourceId: "7", status: 0 });
  });
});
