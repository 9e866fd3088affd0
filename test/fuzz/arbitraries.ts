import fc from "fast-check";

/**
 * Generators of hostile input for the property suite. Bodies are built as JSON *text* (so keys
 * such as `__proto__` reach the server exactly as written), from a tree of these nodes.
 */
export type Node = null | boolean | number | string | Node[] | { entries: [string, Node][] } | { raw: string };

const ENT = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const BC = "urn:ietf:params:scim:schemas:extension:bigcommerce:2.0:Customer";

export const hostileKey = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom("__proto__", "constructor", "prototype", "__PROTO__", "Constructor", "toString", "hasOwnProperty", "valueOf", "__defineGetter__") },
  {
    weight: 5,
    arbitrary: fc.constantFrom(
      "schemas", "userName", "active", "name", "givenName", "familyName", "emails", "value", "primary", "type", "externalId", "displayName",
      "members", "password", "phoneNumbers", "title", "manager", "department", "Operations", "op", "path", "filter", "attributes", ENT, BC,
      "customerGroupId", "channelIds", "notes", "startIndex", "count",
    ),
  },
  { weight: 2, arbitrary: fc.string({ maxLength: 12 }) },
  { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 6 }) },
);

const hostileString = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.string({ unit: "binary", maxLength: 20 }),
  fc.constantFrom("a@x.test", "A@X.TEST", "", " ", "\u0000", "x\u0000@x.test", "True", "False", "null", "[object Object]", "9".repeat(30), "😀", "\u202e", "%00", "'; DROP TABLE"),
  fc.emailAddress(),
  fc.string({ minLength: 200, maxLength: 400 }),
);

const scalar: fc.Arbitrary<Node> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constantFrom(0, -1, 2 ** 31, 2 ** 53 + 1, 1e308)),
  hostileString,
);

export const node: fc.Arbitrary<Node> = fc.letrec<{ node: Node }>((tie) => ({
  node: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    scalar,
    fc.array(tie("node"), { maxLength: 4 }),
    fc.array(fc.tuple(hostileKey, tie("node")), { maxLength: 5 }).map((entries) => ({ entries })),
  ),
})).node;

/** A value nested up to 12,000 levels (objects and arrays mixed), as ready JSON text. */
export const deep: fc.Arbitrary<Node> = fc
  .tuple(fc.oneof(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 12_000 })), fc.boolean(), scalar)
  .map(([depth, arrays, leaf]) => {
    const open = arrays ? '[{"value":' : '{"value":';
    const close = arrays ? "}]" : "}";
    return { raw: `${open.repeat(depth)}${toJson(leaf)}${close.repeat(depth)}` };
  });

export function toJson(n: Node): string {
  if (n === null || typeof n !== "object") return JSON.stringify(n);
  if (Array.isArray(n)) return `[${n.map(toJson).join(",")}]`;
  if ("raw" in n) return n.raw;
  return `{${n.entries.map(([k, v]) => `${JSON.stringify(k)}:${toJson(v)}`).join(",")}}`;
}

const obj = (entries: [string, Node][]): Node => ({ entries });

/** A User-ish body: real attributes with hostile values, plus hostile extra keys. */
export const userBody = fc
  .tuple(hostileString, node, fc.array(fc.tuple(hostileKey, node), { maxLength: 4 }), fc.boolean())
  .map(([userName, value, extra, realName]) =>
    obj([
      ["schemas", ["urn:ietf:params:scim:schemas:core:2.0:User"]],
      ["userName", realName ? `fuzz-${Math.abs(userName.length)}@x.test` : userName],
      ["name", obj([["givenName", value]])],
      ...extra,
    ]),
  );

const patchPath = fc.oneof(
  fc.constantFrom(
    "active", "userName", "name.givenName", "emails", 'emails[type eq "work"].value', "members", 'members[value eq "1"]', "displayName", "title",
    `${ENT}:manager`, `${ENT}:manager.value`, `${ENT}:department`, `${BC}:customerGroupId`, "__proto__", "__proto__.active", "constructor.prototype",
    "name.__proto__", `${ENT}:__proto__`, "emails[value eq", "name..givenName", "", ".", "[]", "urn:", "externalId",
  ),
  fc.string({ maxLength: 30 }),
);

export const patchBody = fc
  .array(
    fc.record(
      { op: fc.constantFrom("add", "replace", "remove", "Add", "Replace", "Remove", "copy", ""), path: patchPath, value: fc.oneof(node, deep) },
      { requiredKeys: ["op"] },
    ),
    { maxLength: 4 },
  )
  .map((ops) =>
    obj([
      ["schemas", ["urn:ietf:params:scim:api:messages:2.0:PatchOp"]],
      ["Operations", ops.map((op) => obj(Object.entries(op) as [string, Node][]))],
    ]),
  );

/** Any body text: structured hostile JSON, deep nesting, or plain garbage. */
export const bodyText = fc.oneof(
  { weight: 4, arbitrary: fc.oneof(userBody, patchBody, node).map(toJson) },
  { weight: 1, arbitrary: deep.map((d) => toJson(obj([["userName", "deep@x.test"], ["x", d]]))) },
  { weight: 1, arbitrary: fc.string({ maxLength: 200 }) },
  { weight: 1, arbitrary: fc.oneof(userBody, patchBody).map(toJson).chain((t) => fc.nat(t.length).map((cut) => t.slice(0, cut))) },
);

const queryFragment = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.constantFrom(
    'userName eq "a@x.test"', "userName eq", 'userName eq "', "((((", 'emails[type eq "work"]', "members.value eq 1", "not(active eq true)",
    "userName,", ",", "name.", "name..givenName", "__proto__", "constructor", `${ENT}:manager`, "-1", "0", "9007199254740993", "1e3", "1.5", " ",
    "userName pr and", "a[]", "emails[", "emails[]].value", "name[givenName eq 1].familyName", "emails[type eq \"work\"].value", 'meta.lastModified gt "2020"', "id eq 99999999999999999999", "%", "%zz",
  ),
);

export const query = fc
  .array(fc.tuple(fc.constantFrom("filter", "attributes", "excludedAttributes", "sortBy", "sortOrder", "startIndex", "count", "Filter", "COUNT"), queryFragment), {
    maxLength: 4,
  })
  .map((pairs) => pairs.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join("&"));

/** Header values a client could send (printable ASCII; the HTTP client refuses the rest). */
const headerText = fc.string({ maxLength: 40 }).map((s) => s.replace(/[^\x20-\x7e]/g, "").trim());

export const contentType = fc.oneof(
  fc.constantFrom(
    "application/scim+json", "application/json", "application/scim+json; charset=utf-8", "application/json; charset=latin1", "application/json; charset=utf-16",
    "application/x-www-form-urlencoded", "text/plain", "application/xml", "multipart/form-data; boundary=x", "application/vnd.api+json", "", "*/*", "application/",
  ),
  headerText,
);

export const contentEncoding = fc.constantFrom(undefined, "identity", "gzip", "deflate", "br", "zstd", "compress", "gzip, br", "x-junk");

/** Authorization forms; `{token}` is replaced by the real token. */
export const authorization = fc.oneof(
  fc.constantFrom(
    "Bearer {token}", "bearer {token}", "BEARER {token}", "Bearer  {token}", "Bearer Bearer {token}", "Bearer {token} extra", "Bearer", "Bearer ",
    "Basic {token}", "{token}", "Token {token}", "Bearer {token}{token}", "Bearer a.b.c", "Bearer eyJhbGciOiJub25lIn0.e30.", "Bearer ....", "",
  ),
  headerText.map((s) => `Bearer ${s}`),
);
