import express, { type Request, type RequestHandler } from "express";
import secureJson from "secure-json-parse";
import { invalidSyntax, invalidValue, ScimError } from "../scim/errors.js";

/**
 * The one JSON body parser: every body is read, decoded and checked here before any other code
 * (scimmy included) sees it. What it refuses, and why:
 * - keys `__proto__`, `constructor` and `prototype` (any case): no SCIM attribute has these names,
 *   and they are the keys that reach an object's prototype through assignment or spreading;
 * - nesting deeper than MAX_DEPTH: no SCIM body nests beyond a handful of levels, and recursive
 *   code further on (PATCH value coercion, scimmy's coercion) must never meet an unbounded depth;
 * - control characters (other than tab, CR and LF) in any key or string: they have no meaning in
 *   a SCIM attribute and BigCommerce would store them as they come;
 * - a body its Content-Encoding or charset cannot decode.
 */
export const JSON_BODY_TYPES = ["application/scim+json", "application/json", "application/*+json"];
export const MAX_DEPTH = 32;
const FORBIDDEN_KEYS = new Set(["__proto__", "constructor", "prototype"]);
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTER = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/;

export const isForbiddenKey = (key: string): boolean => FORBIDDEN_KEYS.has(key.toLowerCase());

/** Depth of `[`/`{` nesting, found in one pass over the text without parsing it. */
function exceedsDepth(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \ */) i++;
      else if (c === 34 /* " */) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 91 /* [ */ || c === 123 /* { */) {
      if (++depth > max) return true;
    } else if (c === 93 /* ] */ || c === 125 /* } */) depth--;
  }
  return false;
}

/** Refuses forbidden keys and control characters anywhere in a parsed value (depth already bounded). */
function checkValue(value: unknown): void {
  if (typeof value === "string") {
    if (CONTROL_CHARACTER.test(value)) throw invalidValue("A value in the request body contains a control character");
  } else if (Array.isArray(value)) {
    for (const item of value) checkValue(item);
  } else if (value !== null && typeof value === "object") {
    for (const [key, item] of Object.entries(value)) {
      if (isForbiddenKey(key)) throw invalidValue(`The request body contains the forbidden attribute name '${key}'`);
      if (CONTROL_CHARACTER.test(key)) throw invalidValue("An attribute name in the request body contains a control character");
      checkValue(item);
    }
  }
}

/** Text of a JSON body -> its value, or a SCIM 400. Like express.json (strict), an empty body is `{}`. */
export function parseJsonBody(text: string): unknown {
  const trimmed = text.trim();
  if (trimmed === "") return {};
  if (trimmed[0] !== "{" && trimmed[0] !== "[") throw invalidSyntax("The request body must be a JSON object");
  if (exceedsDepth(trimmed, MAX_DEPTH)) throw invalidSyntax(`The request body nests deeper than ${MAX_DEPTH} levels`);
  let value: unknown;
  try {
    value = secureJson.parse(trimmed, null, { protoAction: "error", constructorAction: "error" });
  } catch (err) {
    if (err instanceof SyntaxError && /forbidden/.test(err.message)) {
      throw invalidValue("The request body contains a forbidden attribute name (__proto__, constructor or prototype)");
    }
    throw invalidSyntax("The request body is not valid JSON");
  }
  checkValue(value);
  return value;
}

/**
 * Any failure while reading the body. Size, charset and encoding errors keep body-parser's type
 * and are mapped with every other error in toScimError; the rest (zlib errors from a body that
 * does not match its Content-Encoding, a length that does not match Content-Length) carry no
 * such type and would otherwise end as a 500.
 */
const MAPPED_READ_ERRORS = new Set(["entity.too.large", "encoding.unsupported", "charset.unsupported"]);
function readError(err: unknown): unknown {
  const type = (err as { type?: unknown } | undefined)?.type;
  if (typeof type === "string" && MAPPED_READ_ERRORS.has(type)) return err;
  return invalidSyntax("The request body could not be read as its Content-Type, Content-Length and Content-Encoding say");
}

/** Whether the request carries a body at all (type-is's rule: a length above 0, or chunked). */
function hasBody(req: Request): boolean {
  const length = req.headers["content-length"];
  return req.headers["transfer-encoding"] !== undefined || (length !== undefined && length !== "0");
}

export function jsonBody(limit: string): RequestHandler {
  const readText = express.text({ type: JSON_BODY_TYPES, limit, defaultCharset: "utf-8" });
  return (req, res, next) => {
    const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(req.headers["content-type"] ?? "")?.[1];
    if (charset && !/^utf-?8$/i.test(charset) && req.is(JSON_BODY_TYPES)) {
      next(new ScimError(415, null, `Unsupported charset '${charset.slice(0, 32)}'; send UTF-8`));
      return;
    }
    // A body in another type (JSON sent as text/plain, a form) is not read as "no body": say so.
    if (req.method !== "GET" && req.method !== "DELETE" && hasBody(req) && !req.is(JSON_BODY_TYPES)) {
      const type = (req.headers["content-type"] ?? "").split(";")[0]!.trim().slice(0, 64);
      next(new ScimError(415, null, `Unsupported Content-Type '${type || "(none)"}'; send the body as application/scim+json or application/json`));
      return;
    }
    readText(req, res, (err?: unknown) => {
      if (err) return next(readError(err));
      if (typeof req.body !== "string") return next();
      try {
        req.body = parseJsonBody(req.body);
        next();
      } catch (parseErr) {
        next(parseErr);
      }
    });
  };
}
