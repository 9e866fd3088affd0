// @ts-check
import tseslint from "typescript-eslint";

/**
 * Lint = the recommended rules plus the layering of the code (CONTRIBUTING: layers and their
 * rules), enforced on every `npm test`:
 * - src/mapping is pure translation: it imports neither the SCIM layer nor HTTP;
 * - src/scim reaches the BigCommerce client only through its public surface, bigcommerce/index.ts;
 * - nothing in src imports test or scripts; scripts do not import test;
 * - outside the client, BigCommerce errors are matched by their classes, not by code strings;
 * - the bridge is built in one place, src/compose.ts: nothing else calls createApp, and nothing else
 *   but the client's own tests and its pacing benchmark calls createBigCommerceClient.
 *
 * A later block that sets no-restricted-imports replaces an earlier one's list for its files, so
 * every block below spells out its whole list.
 */
const TEST_AND_SCRIPTS = { group: ["**/test/**", "**/scripts/**"], message: "src must not depend on tests or scripts." };
const TESTS = { group: ["**/test/**"], message: "scripts must not depend on tests." };
const COMPOSE = "Build the bridge through src/compose.ts (composeBridge), or startBridge of src/dev/bridge-harness.ts in tests and scripts, so it is wired as in production.";
const CREATE_APP = { group: ["**/app.js"], importNames: ["createApp"], message: COMPOSE };
const CREATE_CLIENT = { group: ["**/bigcommerce/client.js", "**/bigcommerce/index.js"], importNames: ["createBigCommerceClient"], message: COMPOSE };
/** @param {...object} patterns */
const restrict = (...patterns) => ["error", { patterns }];

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**", "coverage/**", "test/compat/**/*.json"] },
  ...tseslint.configs.recommended,
  {
    // @eslint/js (the core "recommended" set) is not installed; these are its rules that the
    // TypeScript compiler does not already enforce.
    rules: {
      "no-debugger": "error",
      "no-dupe-else-if": "error",
      "no-duplicate-case": "error",
      "no-empty-pattern": "error",
      "no-fallthrough": "error",
      "no-self-assign": "error",
      "no-unsafe-finally": "error",
      "no-unused-labels": "error",
      "no-useless-catch": "error",
      "no-cond-assign": "error",
      "no-constant-binary-expression": "error",
      "no-sparse-arrays": "error",
      "no-prototype-builtins": "error",
      "no-async-promise-executor": "error",
      "no-control-regex": "error",
      "no-empty": ["error", { allowEmptyCatch: false }],
      // A `let` assigned once, after a closure that reads it was created, cannot be a const.
      "prefer-const": ["error", { ignoreReadBeforeAssign: true }],
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" }],
    },
  },
  {
    files: ["src/**/*.ts"],
    rules: { "no-restricted-imports": restrict(TEST_AND_SCRIPTS, CREATE_APP, CREATE_CLIENT) },
  },
  {
    files: ["src/mapping/**/*.ts"],
    rules: {
      "no-restricted-imports": restrict(
        TEST_AND_SCRIPTS,
        CREATE_APP,
        CREATE_CLIENT,
        { group: ["**/scim/**", "**/http/**"], message: "src/mapping is pure translation: it must not import the SCIM or HTTP layers (SCIM errors: src/scim-error.ts)." },
      ),
    },
  },
  {
    files: ["src/scim/**/*.ts"],
    rules: {
      "no-restricted-imports": restrict(
        TEST_AND_SCRIPTS,
        CREATE_APP,
        CREATE_CLIENT,
        { group: ["**/bigcommerce/*", "!**/bigcommerce/index.js"], message: "src/scim uses the BigCommerce client only through bigcommerce/index.ts." },
      ),
    },
  },
  {
    // The client's own package defines and re-exports its factory.
    files: ["src/bigcommerce/**/*.ts"],
    rules: { "no-restricted-imports": restrict(TEST_AND_SCRIPTS, CREATE_APP) },
  },
  {
    // The composition root.
    files: ["src/compose.ts"],
    rules: { "no-restricted-imports": restrict(TEST_AND_SCRIPTS) },
  },
  {
    files: ["src/**/*.ts"],
    ignores: ["src/bigcommerce/**", "src/emulator/**"],
    rules: {
      "no-restricted-syntax": [
        "error",
        { selector: "Literal[value=/^BC_[A-Z_]+$/]", message: "Match BigCommerce errors by class (instanceof ConflictError, …), not by code string." },
      ],
    },
  },
  {
    // Tests and scripts read JSON responses of any shape.
    files: ["test/**/*.ts", "scripts/**/*.ts"],
    rules: { "@typescript-eslint/no-explicit-any": "off" },
  },
  {
    files: ["test/**/*.ts"],
    rules: { "no-restricted-imports": restrict(CREATE_APP, CREATE_CLIENT) },
  },
  {
    // The client's own tests drive it directly (fake clocks, scripted servers, its options).
    files: ["test/bigcommerce/**/*.ts"],
    rules: { "no-restricted-imports": restrict(CREATE_APP) },
  },
  {
    files: ["scripts/**/*.ts"],
    rules: { "no-restricted-imports": restrict(TESTS, CREATE_APP, CREATE_CLIENT) },
  },
  {
    // Measures the client's own pacing against a quota: no bridge involved.
    files: ["scripts/bench-pacing.ts"],
    rules: { "no-restricted-imports": restrict(TESTS, CREATE_APP) },
  },
);
