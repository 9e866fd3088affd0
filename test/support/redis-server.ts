// The helper lives in src/dev so that the benchmark (scripts/) can start a redis-server too.
export * from "../../src/dev/redis-server.js";
