import { z } from "zod";
import { envSchema, type SettingName } from "./config.js";
import { SETTING_GROUPS, type SettingDoc } from "./config-docs.js";

/**
 * docs/configuration.md, generated from the configuration schema: every setting, its default
 * (what the schema makes of an unset value) and its description (its metadata). `npm run
 * docs:config` writes it; a test fails when the page and the schema disagree.
 */
export function renderConfigurationReference(): string {
  const shape = envSchema.shape as Record<SettingName, z.ZodType>;
  const lines = [
    "# Configuration",
    "",
    "<!-- Generated from src/config.ts and src/config-docs.ts by `npm run docs:config`; do not edit by hand. -->",
    "",
    "Every setting is an environment variable (or, with a tenants file, a tenant's `settings` entry: docs/tenants.md),",
    "validated at start-up: a bad value stops the process with a message naming it and, for numbers, the accepted",
    "range. An empty value counts as unset.",
  ];
  for (const [group, title] of Object.entries(SETTING_GROUPS)) {
    const names = (Object.keys(shape) as SettingName[]).filter((n) => docOf(shape[n]).group === group);
    if (names.length === 0) continue;
    lines.push("", `## ${title}`, "", "| variable | default | meaning |", "|---|---|---|");
    for (const name of names) {
      const doc = docOf(shape[name]);
      lines.push(`| \`${name}\` | ${doc.defaultText ?? defaultOf(shape[name])} | ${doc.description} |`);
    }
  }
  return `${lines.join("\n")}\n`;
}

function docOf(schema: z.ZodType): SettingDoc {
  return schema.meta() as unknown as SettingDoc;
}

/** What the schema makes of the variable unset, as the reader would type it. */
function defaultOf(schema: z.ZodType): string {
  const parsed = schema.safeParse(undefined);
  const value: unknown = parsed.success ? parsed.data : undefined;
  if (value === undefined || value === null || (Array.isArray(value) && value.length === 0)) return "—";
  if (Array.isArray(value)) return `\`${value.join(",")}\``;
  if (typeof value === "object") return "—";
  return `\`${String(value)}\``;
}
