import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { errorFromResponse, parseErrorBody, parseErrorKey } from "../../src/bigcommerce/error-mapping.js";
import {
  AuthenticationError,
  ConflictError,
  NotFoundError,
  RateLimitedError,
  UnexpectedResponseError,
  UpstreamUnavailableError,
  ValidationFailedError,
} from "../../src/bigcommerce/errors.js";

// Captured from real stores (shared/bigcommerce/fixtures); inlined so the suite needs nothing outside the repo.
const duplicateCreate = {
  status: 422,
  title: "Create customers failed.",
  type: "https://developer.bigcommerce.com/api-docs/getting-started/api-status-codes",
  errors: { ".customer_create": "Error creating customers: email bobby.bob@bobberton.co already in use" },
};
const unknownId = {
  status: 422,
  title: "Update customers failed.",
  type: "https://developer.bigcommerce.com/api-docs/getting-started/api-status-codes",
  errors: { "0.id": "invalid customer ID" },
};

describe("error bodies", () => {
  it.each([
    ["0.first_name", { index: 0, field: "first_name" }],
    ["12.email", { index: 12, field: "email" }],
    [".customer_create", { field: "customer_create" }],
    ["id", { field: "id" }],
  ])("parses the key %s", (key, expected) => {
    expect(parseErrorKey(key)).toEqual(expected);
  });

  it("reads V3 bodies with indexed and batch-level keys", () => {
    expect(parseErrorBody(unknownId)).toEqual({
      title: "Update customers failed.",
      fields: [{ index: 0, field: "id", message: "invalid customer ID" }],
    });
    expect(parseErrorBody(duplicateCreate).fields).toEqual([
      { field: "customer_create", message: "Error creating customers: email bobby.bob@bobberton.co already in use" },
    ]);
  });

  it("reads V2 array bodies and finds the field name in the message", () => {
    expect(parseErrorBody([{ status: 400, message: "The field 'password' is invalid." }])).toEqual({
      title: "The field 'password' is invalid.",
      fields: [{ field: "password", message: "The field 'password' is invalid." }],
    });
  });

  it("copes with bodies that are not BigCommerce errors", () => {
    expect(parseErrorBody("<html>")).toEqual({ title: undefined, fields: [] });
    expect(parseErrorBody(undefined)).toEqual({ title: undefined, fields: [] });
  });

  it("agrees with the shared fixtures when they are present", () => {
    let fixture: unknown;
    try {
      fixture = JSON.parse(
        readFileSync(new URL("../../../shared/bigcommerce/fixtures/johnhebron-bigcommerce-api-v3/customers/bulk_update/422.json", import.meta.url), "utf8"),
      );
    } catch {
      return; // ../shared is not part of the repository
    }
    expect(parseErrorBody(fixture)).toEqual(parseErrorBody(unknownId));
  });
});

describe("errorFromResponse", () => {
  const ctx = { method: "GET", path: "/v3/customers" };
  it.each([
    [400, ValidationFailedError, "BC_VALIDATION"],
    [413, ValidationFailedError, "BC_VALIDATION"],
    [422, ValidationFailedError, "BC_VALIDATION"],
    [401, AuthenticationError, "BC_AUTH"],
    [403, AuthenticationError, "BC_AUTH"],
    [404, NotFoundError, "BC_NOT_FOUND"],
    [409, ConflictError, "BC_CONFLICT"],
    [429, RateLimitedError, "BC_RATE_LIMITED"],
    [500, UpstreamUnavailableError, "BC_UNAVAILABLE"],
    [503, UpstreamUnavailableError, "BC_UNAVAILABLE"],
    [302, UnexpectedResponseError, "BC_BAD_RESPONSE"],
    [415, UnexpectedResponseError, "BC_BAD_RESPONSE"],
  ] as const)("%i → %o", (status, type, code) => {
    const error = errorFromResponse(status, {}, ctx);
    expect(error).toBeInstanceOf(type);
    expect(error.code).toBe(code);
  });

  it("keeps the status, title and fields of a 422", () => {
    const error = errorFromResponse(422, unknownId, ctx) as ValidationFailedError;
    expect(error.status).toBe(422);
    expect(error.title).toBe("Update customers failed.");
    expect(error.fields).toEqual([{ index: 0, field: "id", message: "invalid customer ID" }]);
  });
});
