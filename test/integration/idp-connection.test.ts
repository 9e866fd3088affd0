/**
 * The IdP connections the HTTP layer reports to the client's batch lanes (src/http/idp-connection.ts,
 * bigcommerce/arrivals.ts): a connection is busy while its request is served, and never after.
 */
import { createServer, type Server } from "node:http";
import { connect, type AddressInfo } from "node:net";
import express from "express";
import { afterEach, describe, expect, it } from "vitest";
import { IdpConnections } from "../../src/bigcommerce/arrivals.js";
import { serveIdpConnection } from "../../src/http/idp-connection.js";

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

/**
 * An app whose requests first pass an asynchronous step the test releases (as a JWT's check, or a
 * tenant's rebuild), then are served as the IdP's connection, then answered.
 */
async function start(connections: IdpConnections) {
  const arrived: (() => void)[] = [];
  const hungUp: Promise<void>[] = [];
  const answered: Promise<void>[] = [];
  const app = express();
  app.use((req, res, next) => {
    hungUp.push(new Promise((resolve) => res.once("close", () => resolve())));
    arrived.push(next);
  });
  app.use(serveIdpConnection(connections));
  app.use((_req, res) => {
    answered.push(new Promise((resolve) => res.once("finish", () => resolve())));
    res.json({ busy: [...connections.busyCallers()].length });
  });
  server = createServer(app);
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", () => resolve()));
  const port = (server.address() as AddressInfo).port;
  return { port, arrived, hungUp, answered };
}

/** Lets the server's callbacks run until `ready()`. */
async function until(ready: () => boolean): Promise<void> {
  while (!ready()) await new Promise((r) => setImmediate(r));
}

describe("serveIdpConnection", () => {
  it("a connection is busy while its request is served, and not once it is answered", async () => {
    const connections = new IdpConnections();
    const { port, arrived, answered } = await start(connections);
    const socket = connect(port, "127.0.0.1");
    let body = "";
    socket.on("data", (chunk) => (body += String(chunk)));
    socket.write("GET /scim/v2/Users HTTP/1.1\r\nHost: x\r\n\r\n");
    await until(() => arrived.length === 1);
    arrived[0]!();
    await until(() => body.includes("}"));
    expect(body).toContain('{"busy":1}');
    await answered[0];
    await until(() => [...connections.busyCallers()].length === 0);
    socket.destroy();
  });

  it("an IdP that hung up before its request got this far does not stay busy for good", async () => {
    const connections = new IdpConnections();
    const { port, arrived, hungUp } = await start(connections);
    const socket = connect(port, "127.0.0.1");
    socket.write("GET /scim/v2/Users HTTP/1.1\r\nHost: x\r\n\r\n");
    await until(() => arrived.length === 1);
    socket.destroy(); // e.g. the IdP's own timeout, while its token was being checked
    await hungUp[0];
    arrived[0]!(); // the request goes on (its work is done), but nobody will read its answer
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    // Busy for good, it would keep its socket and make every batch lane hold for it.
    expect([...connections.busyCallers()].length).toBe(0);
  });
});
