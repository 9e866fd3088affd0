import { describe, expect, it } from "vitest";
import { useEmulator } from "./helpers.js";

const READ_ONLY = "read-only-token";
const NO_CHANNELS = "customers-only-token";

describe("OAuth scopes (tokenScopes)", () => {
  const { call } = useEmulator({
    tokenScopes: { [READ_ONLY]: ["store_v2_customers_read_only", "store_channel_settings_read_only"], [NO_CHANNELS]: ["store_v2_customers"] },
  });

  it("lets a read-only token read and answers 403 Missing scope to its writes, before validating the body", async () => {
    expect((await call("GET", "/v3/customers", { token: READ_ONLY })).status).toBe(200);
    // V2 answers an empty list with 204.
    expect([200, 204]).toContain((await call("GET", "/v2/customer_groups", { token: READ_ONLY })).status);
    const write = await call("PUT", "/v3/customers", { token: READ_ONLY, body: [] });
    expect(write.status).toBe(403);
    expect(write.body).toEqual({ code: 403, message: "Missing scope" });
    const v2 = await call("POST", "/v2/customer_groups", { token: READ_ONLY, body: { name: "X" } });
    expect(v2.status).toBe(403);
    expect(v2.body).toEqual([{ status: 403, message: "Missing scope" }]);
  });

  it("answers 403 to channel reads without a Channel Settings scope", async () => {
    expect((await call("GET", "/v3/channels", { token: NO_CHANNELS })).status).toBe(403);
    expect((await call("GET", "/v3/channels", { token: READ_ONLY })).status).toBe(200);
    // With modify, the empty batch reaches validation (422), and nothing is written.
    expect((await call("PUT", "/v3/customers", { token: NO_CHANNELS, body: [] })).status).toBe(422);
  });

  it("spends no quota on a refusal (docs/emulator-differences.md, OAuth scopes)", async () => {
    for (let i = 0; i < 3; i++) expect((await call("PUT", "/v3/customers", { token: READ_ONLY, body: [] })).status).toBe(403);
    const first = await call("GET", "/v3/customers", { token: READ_ONLY });
    expect(first.headers.get("x-rate-limit-requests-left")).toBe("9999");
  });

  it("gives a token it does not list every scope", async () => {
    expect((await call("GET", "/v3/channels")).status).toBe(200);
    expect((await call("PUT", "/v3/customers", { body: [] })).status).toBe(422);
  });
});
