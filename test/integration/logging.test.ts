import request from "supertest";
import { describe, expect, it } from "vitest";
import { newUser, TEST_TOKEN as TOKEN, useBridge } from "./helpers.js";

const lines: string[] = [];
const UPSTREAM_TOKEN = "upstream-secret-token-xyz987";

const b = useBridge({ BIGCOMMERCE_ACCESS_TOKEN: UPSTREAM_TOKEN, LOG_LEVEL: "debug" }, { logLines: lines });

describe("logs", () => {
  it("carry request ids, write one audit line per change, and never a secret or a full email", async () => {
    const res = await request(b.url)
      .post("/scim/v2/Users")
      .set("Authorization", `Bearer ${TOKEN}`)
      .set("X-Request-Id", "req-abc-123")
      .send(newUser("secret.person@x.test", { password: "Pa55-word-never-logged" }));
    expect(res.status).toBe(201);
    expect(res.headers["x-request-id"]).toBe("req-abc-123");
    await request(b.url).get("/scim/v2/Users").set("Authorization", "Bearer wrong-token-value-123");
    const all = lines.join("\n");
    for (const secret of [TOKEN, UPSTREAM_TOKEN, "Pa55-word-never-logged", "wrong-token-value-123"]) expect(all).not.toContain(secret);
    const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const audit = parsed.filter((l) => l.audit === true);
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ kind: "scim", resourceType: "User", operation: "create", resourceId: res.body.id, client: "token#1", outcome: "success", status: 201 });
    expect(JSON.stringify(audit[0])).not.toContain("secret.person@x.test");
    expect(parsed.some((l) => (l.req as { id?: string } | undefined)?.id === "req-abc-123")).toBe(true);
  });
});
