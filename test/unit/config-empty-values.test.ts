import { describe, expect, it } from "vitest";
import { ENVIRONMENT_VARIABLES, loadConfig } from "../../src/config.js";
import { composeEnvironment } from "../support/compose-environment.js";

/**
 * Issue 19, item 4: an empty value counts as unset for every variable. The list comes from the
 * schema itself, so a variable added later is covered without touching this test.
 */
describe("an empty value counts as unset", () => {
  it("knows the variables from the schema", () => {
    expect(ENVIRONMENT_VARIABLES).toContain("PUBLIC_BASE_URL");
    expect(ENVIRONMENT_VARIABLES).toContain("SCIM_STORED_ATTRIBUTES");
    expect(ENVIRONMENT_VARIABLES.length).toBeGreaterThan(40);
  });

  it("starts with every variable set to \"\" exactly as with none set", () => {
    const empty = Object.fromEntries(ENVIRONMENT_VARIABLES.map((name) => [name, ""]));
    expect(loadConfig(empty)).toEqual(loadConfig({}));
  });

  it.each(ENVIRONMENT_VARIABLES)("%s=\"\" (and blank) is its default", (name) => {
    expect(loadConfig({ [name]: "" })).toEqual(loadConfig({}));
    expect(loadConfig({ [name]: "  " })).toEqual(loadConfig({}));
  });

  it("SCIM_STORED_ATTRIBUTES=\"\" keeps the default list; storing nothing is `none`", () => {
    expect(loadConfig({ SCIM_STORED_ATTRIBUTES: "" }).storedAttributes).toEqual(["title", "department", "employeeNumber", "manager"]);
    expect(loadConfig({ SCIM_STORED_ATTRIBUTES: "none" }).storedAttributes).toEqual([]);
  });
});

describe("the documented `docker compose up`", () => {
  const documented = {
    BIGCOMMERCE_STORE_HASH: "abc123",
    BIGCOMMERCE_ACCESS_TOKEN: "access-token",
    SCIM_BEARER_TOKENS: "a-long-enough-scim-token",
    REDIS_PASSWORD: "0123456789abcdef0123456789abcdef",
  };

  it("passes PUBLIC_BASE_URL as \"\" (what used to crash-loop both replicas)", () => {
    expect(composeEnvironment(documented).PUBLIC_BASE_URL).toBe("");
  });

  it("gives each container a configuration that starts", () => {
    const config = loadConfig(composeEnvironment(documented));
    expect(config.publicBaseUrl).toBeNull();
    expect(config.bigcommerce).toMatchObject({ storeHash: "abc123" });
    expect(config.redis).toMatchObject({ url: "redis://:0123456789abcdef0123456789abcdef@redis:6379/0" });
    expect(config.storedAttributes).toEqual(["title", "department", "employeeNumber", "manager"]);
  });
});
