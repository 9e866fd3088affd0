import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { renderConfigurationReference } from "../src/config-reference.js";

/** `npm run docs:config`: writes docs/configuration.md from the configuration schema. */
const target = fileURLToPath(new URL("../docs/configuration.md", import.meta.url));
writeFileSync(target, renderConfigurationReference());
process.stdout.write(`wrote ${target}\n`);
