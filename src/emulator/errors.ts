/**
 * Error bodies in the shapes BigCommerce answers with. Handlers throw an `ApiError`; the app's
 * single error handler writes it. V3 and V2 disagree on shape, so each has its own builder.
 */

/** The `type` URL seen in captured responses (the spec examples use a relative variant). */
export const ERROR_TYPE = "https://developer.bigcommerce.com/api-docs/getting-started/api-status-codes";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly headers: Record<string, string> = {},
  ) {
    super(`emulator answered ${status}`);
  }
}

/** V3 `ErrorResponse`: `{status, title, type, errors}`; `errors` may be `{}`. */
export function v3Error(status: number, title: string, errors: Record<string, string> = {}): ApiError {
  return new ApiError(status, { status, title, type: ERROR_TYPE, errors });
}

/** The metafield/"Input is invalid" 400 shape from the spec: `{status, title, type, detail}`. */
export function v3InputInvalid(detail = "Syntax error"): ApiError {
  return new ApiError(400, { status: 400, title: "Input is invalid", type: ERROR_TYPE, detail });
}

/** V2 errors are bare arrays of `{status, message}`. */
export function v2Error(status: number, message: string): ApiError {
  return new ApiError(status, [{ status, message }]);
}

/** The observed 422 for a filter the endpoint does not know. */
export function unknownFilters(names: readonly string[]): ApiError {
  return v3Error(422, `The filter(s): ${names.join(", ")} are not valid filter parameter(s).`);
}

/** The observed 422 for a non-integer value in an integer list such as `id:in`. */
export function notAnInteger(param: string, input: string): ApiError {
  return v3Error(
    422,
    `Query parameter "${param}" value may contain only integer values. For input string: "${input}".`,
  );
}

/** 422 "JSON data is missing or invalid": the observed shape for bodies of the wrong form. */
export function jsonInvalid(errors: Record<string, string>): ApiError {
  return v3Error(422, "JSON data is missing or invalid", errors);
}

/** 413 for batches over the item limit. The body is not documented; this one is our choice. */
export function tooManyItems(max: number): ApiError {
  return v3Error(
    413,
    `The request payload is too large. The maximum number of items allowed in the array is ${max}.`,
  );
}

export function v3NotFound(): ApiError {
  return new ApiError(404, {
    status: 404,
    title: "The resource at that URL is not found.",
    type: ERROR_TYPE,
    errors: {},
  });
}
