// The harness lives in src/dev so that scripts (compat, bench) can use it without importing tests.
export * from "../../src/dev/bridge-harness.js";
