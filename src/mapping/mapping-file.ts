import { readFileSync } from "node:fs";
import { extname } from "node:path";
import YAML from "yaml";
import { z } from "zod";

/**
 * The merchant's mapping document (`SCIM_MAPPING_FILE`, JSON or YAML): what it adds to or
 * overrides in the built-in mapping. This module only reads and validates the document; what
 * each entry means is decided by the mapping layer that consumes `MappingDocument`.
 */

/** Keys that would reach an object's prototype if used as a property name. */
const PROTOTYPE_KEYS = new Set(["__proto__", "constructor", "prototype"]);

const attributeName = /^[A-Za-z][A-Za-z0-9_$-]*$/;

/**
 * A SCIM attribute: a core name (`title`, `name.honorificPrefix`), or a schema URN followed by
 * `:` and the attribute (`urn:ietf:params:scim:schemas:extension:acme:2.0:User:costCenter`).
 */
function isScimAttributePath(value: string): boolean {
  const urn = /^(urn:[A-Za-z0-9][A-Za-z0-9-]{0,31}:[A-Za-z0-9()+,\-.:=@;$_!*'%/?#]+):([^:]+)$/i.exec(value);
  const attr = urn ? urn[2]! : value;
  const parts = attr.split(".");
  return parts.length <= 2 && parts.every((p) => attributeName.test(p) && !PROTOTYPE_KEYS.has(p));
}

const scimPath = z
  .string()
  .min(1)
  .max(300)
  .refine(isScimAttributePath, "must be a SCIM attribute: a core name (title, name.honorificPrefix) or a schema URN plus ':' and the attribute name");

/** A name the merchant gave in the control panel (attribute, form field, group). */
const merchantName = z
  .string()
  .trim()
  .min(1, "must not be empty")
  .max(255, "must be at most 255 characters")
  .refine((s) => !PROTOTYPE_KEYS.has(s), "is a reserved name");

export const CUSTOMER_ATTRIBUTE_TYPES = ["string", "number", "date"] as const;
export type CustomerAttributeType = (typeof CUSTOMER_ATTRIBUTE_TYPES)[number];

const attributeEntry = z
  .strictObject({
    scim: scimPath,
    /** A BigCommerce customer attribute, by name (reused when the store has it, else created). */
    customerAttribute: merchantName.optional(),
    /** Type of a created attribute (an existing one keeps the merchant's type). */
    type: z.enum(CUSTOMER_ATTRIBUTE_TYPES).optional(),
    /** A customer form field (the account sign-up form's custom fields), by name. */
    formField: merchantName.optional(),
  })
  .superRefine((entry, ctx) => {
    if ((entry.customerAttribute === undefined) === (entry.formField === undefined)) {
      ctx.addIssue({ code: "custom", message: "needs exactly one of customerAttribute or formField" });
    }
    if (entry.type !== undefined && entry.customerAttribute === undefined) {
      ctx.addIssue({ code: "custom", path: ["type"], message: "applies to a customerAttribute only" });
    }
  });

export type MappingAttributeEntry = z.infer<typeof attributeEntry>;

const addressType = z
  .string()
  .trim()
  .min(1)
  .max(32)
  .regex(/^[A-Za-z][A-Za-z0-9_-]*$/, "must be an address type such as work, home or other");

const mappingDocumentSchema = z
  .strictObject({
    attributes: z.array(attributeEntry).max(200).default([]),
    addresses: z
      .strictObject({ types: z.array(addressType).max(10).default([]) })
      .default({ types: [] }),
    /** Customer group (SCIM Group displayName) precedence, first wins. */
    groupPrecedence: z.array(merchantName).max(1000).default([]),
  })
  .superRefine((doc, ctx) => {
    const seen = new Map<string, number>();
    doc.attributes.forEach((entry, i) => {
      const key = entry.scim.toLowerCase();
      const first = seen.get(key);
      if (first !== undefined) {
        ctx.addIssue({ code: "custom", path: ["attributes", i, "scim"], message: `maps ${entry.scim} again (already attributes[${first}])` });
      } else seen.set(key, i);
    });
    const types = doc.addresses.types.map((t) => t.toLowerCase());
    types.forEach((t, i) => {
      if (types.indexOf(t) !== i) ctx.addIssue({ code: "custom", path: ["addresses", "types", i], message: `lists ${t} twice` });
    });
    const groups = doc.groupPrecedence.map((g) => g.toLowerCase());
    groups.forEach((g, i) => {
      if (groups.indexOf(g) !== i) ctx.addIssue({ code: "custom", path: ["groupPrecedence", i], message: `lists ${doc.groupPrecedence[i]} twice` });
    });
  });

export type MappingDocument = z.infer<typeof mappingDocumentSchema>;

/** The built-in mapping adds nothing: the same as an empty file. */
export const EMPTY_MAPPING: MappingDocument = Object.freeze({
  attributes: [],
  addresses: { types: [] },
  groupPrecedence: [],
}) as MappingDocument;

export class MappingFileError extends Error {
  override name = "MappingFileError";
}

/** Parses a mapping document's text; YAML when the file name says so, else JSON. */
export function parseMappingDocument(text: string, fileName: string): MappingDocument {
  let raw: unknown;
  try {
    raw = /\.ya?ml$/i.test(extname(fileName)) ? YAML.parse(text, { maxAliasCount: 100 }) : JSON.parse(text);
  } catch (err) {
    throw new MappingFileError(`cannot be parsed as ${/\.ya?ml$/i.test(fileName) ? "YAML" : "JSON"}: ${(err as Error).message.split("\n")[0]}`);
  }
  const parsed = mappingDocumentSchema.safeParse(raw ?? {});
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${formatPath(i.path)}: ${i.message}`);
    throw new MappingFileError(lines.join("; "));
  }
  return parsed.data;
}

/** Reads and validates the mapping file; errors name the entry (`attributes[2].scim: …`). */
export function loadMappingFile(path: string): MappingDocument {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new MappingFileError(`cannot be read (${(err as NodeJS.ErrnoException).code ?? "error"})`);
  }
  return parseMappingDocument(text, path);
}

function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return "document";
  return path.map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join("");
}
