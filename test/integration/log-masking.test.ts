import { describe, expect, it } from "vitest";
import { maskedUrl } from "../../src/http/log-url.js";
import { newUser, withBridge } from "./helpers.js";

/** Issue 8, item 10: filter values (customers' emails) reach request logs only at debug level. */
async function logsOf(level: "info" | "debug"): Promise<string> {
  const lines: string[] = [];
  return withBridge(
    { LOG_LEVEL: level },
    async (b) => {
      expect((await b.api.post("/Users", newUser("jane.customer@x.test"))).status).toBe(201);
      const filter = encodeURIComponent('userName eq "jane.customer@x.test" and externalId eq "ext-secret-1"');
      expect((await b.api.get(`/Users?filter=${filter}&count=5&secret=jane.customer@x.test`)).status).toBe(200);
      return lines.join("\n");
    },
    { logLines: lines },
  );
}

describe("request logs", () => {
  it("at info: the filter's shape, never its values", async () => {
    const logs = await logsOf("info");
    expect(logs).toContain("/scim/v2/Users?filter=");
    expect(logs).not.toContain("jane.customer");
    expect(logs).not.toContain("ext-secret-1");
    expect(logs).toContain(encodeURIComponent('userName eq "***" and externalId eq "***"'));
  });

  it("at debug: the full URL", async () => {
    expect(await logsOf("debug")).toContain("jane.customer%40x.test");
  });

  it("masks unquoted values and unterminated strings too", () => {
    const shown = decodeURIComponent(maskedUrl(`/scim/v2/Users?filter=${encodeURIComponent('id eq 12345 or userName sw "jan')}&attributes=userName`));
    expect(shown).toBe('/scim/v2/Users?filter=id eq *** or userName sw "***"&attributes=userName');
  });
});
