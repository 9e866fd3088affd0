import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface Recorded {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
  body: string;
  at: number;
}

export type Handler = (req: Recorded, res: ServerResponse, n: number) => unknown;

/** A real HTTP server whose every answer the test scripts (undici's own test style). */
export async function scriptedServer(handler: Handler): Promise<{ url: string; requests: Recorded[]; close: () => Promise<void> }> {
  const requests: Recorded[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const recorded: Recorded = {
        method: req.method ?? "",
        url: req.url ?? "",
        headers: req.headers,
        body: Buffer.concat(chunks).toString("utf8"),
        at: Date.now(),
      };
      requests.push(recorded);
      void Promise.resolve(handler(recorded, res, requests.length)).catch(() => res.destroy());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = body === undefined ? "" : JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(text);
}

export function customer(id: number, email: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id,
    email,
    first_name: "First",
    last_name: "Last",
    company: "",
    phone: "",
    notes: "",
    tax_exempt_category: "",
    customer_group_id: 0,
    registration_ip_address: "",
    date_created: new Date().toISOString().replace(/\.\d{3}Z$/, "Z"),
    date_modified: new Date().toISOString().replace(/\.\d{3}Z$/, "Z"),
    authentication: { force_password_reset: false },
    accepts_product_review_abandoned_cart_emails: false,
    origin_channel_id: 1,
    channel_ids: null,
    ...extra,
  };
}

export function page(data: unknown[]): unknown {
  return { data, meta: { pagination: { total: data.length, count: data.length, per_page: 50, current_page: 1, total_pages: 1 } } };
}
