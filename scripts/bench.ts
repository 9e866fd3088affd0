/**
 * Upstream-economy benchmark (issues 9 and 21): replays the identity providers' real request
 * cycles through the bridge against the emulator under quota pressure, and prints per cycle what
 * each user cost upstream. Figures, not verdicts.
 *
 *   npm run bench                          # the sweep: IdP connections × upstream latency, every cycle
 *   npm run bench -- --quick               # the same sweep with half the users per cell (about half the time)
 *   npm run bench -- --concurrency 2,5 --latency 400 --cycle entra-sync,okta-push   # some cells only
 *   npm run bench -- --classic             # the original table: 200 users (300 bulk), 20 connections, 40 ms,
 *                                          # ratio to the quota floor, and the lone-request figures
 *   npm run bench -- --classic --cycle okta-push   # one cycle (entra-sync, okta-push, entra-deactivate, bulk-create, lone)
 *   npm run bench -- --replicas 3          # the classic cycles through 3 replicas sharing a
 *                                          # redis-server the bench starts (REDIS_URL), behind a
 *                                          # round-robin front; add --processes to start each replica
 *                                          # as its own process (src/main.ts, as `npm start` does)
 *   npm run bench -- --mapping FILE        # the bridge runs with SCIM_MAPPING_FILE=FILE; every user the
 *                                          # cycles create or push carries a value for each attribute it maps
 *   npm run bench -- --json results.jsonl  # also append every cell as a JSON line (for comparisons)
 *
 * Settings (environment): BENCH_USERS (200), BENCH_BULK_USERS (300), BENCH_CONCURRENCY (20),
 * BENCH_LATENCY_MS (40) for --classic; BENCH_ROUNDS (8; --quick 4): users per sweep cell = rounds
 * × connections (at least 16), so every connection goes round its cycle that many times;
 * BENCH_QUOTA (30), BENCH_WINDOW_MS (3000), BENCH_TRACE (1: print each cycle's upstream calls with
 * how full they were); BIGCOMMERCE_MAX_WAIT_MS and BIGCOMMERCE_PACE_BURST_SHARE (0 = no pacing)
 * pass through to the bridge.
 *
 * The reachable minimum (sweep): a cycle takes each user through fixed stages, each a batched
 * upstream call (entra-sync: the userName lookup, the create, the index write; okta-push: the GET,
 * the PUT; entra-deactivate: the lookup, the update, the attribute-value write; bulk-create: the
 * create). With c IdP connections at most c users are in one stage at once (a connection waits
 * for its answer before it sends its next request), and a call carries at most the endpoint's
 * batch size (10 writes, 20 merged reads). So the fewest calls per user is
 *   Σ over the stages of 1 / min(c, batch size of that stage)
 * e.g. Entra's first sync at c = 2: 1/2 + 1/2 + 1/2 = 1.5; at c = 20: 1/20 + 1/10 + 1/10 = 0.25.
 * (A write behind the answer, like the index write, may carry users of two rounds, so a cycle can
 * come slightly under it.) ratio = measured / minimum: 1.00 is perfect.
 *
 * Classic "floor" = ceil(users / 10) customer batch writes, sent at the quota rate: the fewest
 * calls and the shortest time in which any bridge could do the cycle. ratio = floor time /
 * measured time. Each cycle runs on a fresh bridge (fresh client, governor and caches) against an
 * emulator whose users were seeded beforehand at an unlimited quota, so seeding costs the cycle
 * nothing.
 */
import { appendFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { STORE_HASH, startBridge, TEST_TOKEN as TOKEN } from "../src/dev/bridge-harness.js";
import { startEmulator, type RunningEmulator } from "../src/emulator/index.js";
import { startRedisServer, type RedisServer } from "../src/dev/redis-server.js";
import { startRoundRobinFront } from "../src/dev/round-robin-front.js";
import { loadMappingFile } from "../src/mapping/mapping-file.js";

const USERS = Number(process.env.BENCH_USERS ?? 200);
const BULK_USERS = Number(process.env.BENCH_BULK_USERS ?? 300);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 20);
const LATENCY = Number(process.env.BENCH_LATENCY_MS ?? 40);
const QUOTA = Number(process.env.BENCH_QUOTA ?? 30);
const WINDOW = Number(process.env.BENCH_WINDOW_MS ?? 3000);
const CORE = "urn:ietf:params:scim:schemas:core:2.0:User";
const ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

const argOf = (name: string): string | undefined => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const listOf = (name: string): string[] | undefined => argOf(name)?.split(",").map((v) => v.trim()).filter(Boolean);
const only = listOf("--cycle");
// Replicas are measured on the classic cycles (as in the README's replica table).
const CLASSIC = process.argv.includes("--classic") || process.argv.includes("--replicas");
const QUICK = process.argv.includes("--quick");
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? (QUICK ? 4 : 8));
const SWEEP_CONCURRENCY = (listOf("--concurrency") ?? ["2", "5", "10", "20"]).map(Number);
const SWEEP_LATENCY = (listOf("--latency") ?? ["40", "150", "400"]).map(Number);
const JSON_OUT = argOf("--json");
const replicasArg = process.argv.indexOf("--replicas");
const REPLICAS = replicasArg >= 0 ? Number(process.argv[replicasArg + 1]) : 1;
if (!Number.isInteger(REPLICAS) || REPLICAS < 1) throw new Error("--replicas takes a whole number from 1");
const IN_PROCESS = !process.argv.includes("--processes");
const mappingArg = process.argv.indexOf("--mapping");
const MAPPING_FILE = mappingArg >= 0 ? process.argv[mappingArg + 1] : undefined;
const MAPPED = MAPPING_FILE ? loadMappingFile(MAPPING_FILE).attributes : [];
/** A value for each attribute the mapping file maps (URN-qualified keys, as Entra sends them). */
function mappedValues(i: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const entry of MAPPED) {
    const value = entry.type === "number" ? i : entry.type === "date" ? "2024-01-01" : `bench-${i}`;
    const [parent, sub] = entry.scim.startsWith("urn:") ? [entry.scim, undefined] : entry.scim.split(".");
    if (sub === undefined) out[parent!] = value;
    else out[parent!] = { ...(out[parent!] as object | undefined), [sub]: value };
  }
  return out;
}

interface Running {
  url: string;
  close(): Promise<void>;
}

/** A bridge on a real port over the given emulator, composed like `npm start` (composeBridge). */
async function startBridgeOn(emulator: RunningEmulator, redisUrl?: string): Promise<Running> {
  const bridge = await startBridge(
    {
      ...(redisUrl ? { REDIS_URL: redisUrl } : {}),
      LOG_LEVEL: "silent",
      ...(MAPPING_FILE ? { SCIM_MAPPING_FILE: MAPPING_FILE } : {}),
      ...(process.env.BIGCOMMERCE_MAX_WAIT_MS ? { BIGCOMMERCE_MAX_WAIT_MS: process.env.BIGCOMMERCE_MAX_WAIT_MS } : {}),
      ...(process.env.BIGCOMMERCE_PACE_BURST_SHARE ? { BIGCOMMERCE_PACE_BURST_SHARE: process.env.BIGCOMMERCE_PACE_BURST_SHARE } : {}),
    },
    {},
    { emulator },
  );
  return { url: `${bridge.url}/scim/v2`, close: () => bridge.close() };
}

/**
 * A replica as its own process, started as `npm start` starts one (src/main.ts, through tsx), so
 * that replicas do not share one event loop with each other and the benchmark's own traffic.
 */
async function startBridgeProcess(emulator: RunningEmulator, redisUrl: string): Promise<Running> {
  const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
    env: {
      ...process.env,
      PORT: "0",
      HOST: "127.0.0.1",
      REDIS_URL: redisUrl,
      BIGCOMMERCE_STORE_HASH: STORE_HASH,
      BIGCOMMERCE_ACCESS_TOKEN: "emulator-token",
      BIGCOMMERCE_API_URL: emulator.url,
      SCIM_BEARER_TOKENS: TOKEN,
      ...(MAPPING_FILE ? { SCIM_MAPPING_FILE: MAPPING_FILE } : {}),
      LOG_LEVEL: "info",
    },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const port = await new Promise<number>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.on("line", (line) => {
      if (!line.includes("SCIM bridge listening")) return;
      resolve(Number((JSON.parse(line) as { port: number }).port));
      lines.removeAllListeners("line");
      child.stdout!.resume(); // request logs from now on: read and dropped
    });
    child.once("exit", (code) => reject(new Error(`a replica exited during start-up (code ${code})`)));
  });
  return {
    url: `http://127.0.0.1:${port}/scim/v2`,
    close: async () => {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
    },
  };
}

/**
 * `REPLICAS` bridges sharing a fresh redis-server, behind a round-robin front (one bridge alone:
 * itself): in this process, or each in its own (`--processes`).
 */
async function startBridgesOn(emulator: RunningEmulator): Promise<Running> {
  if (REPLICAS === 1) return startBridgeOn(emulator);
  const redis: RedisServer = await startRedisServer();
  const bridges: Running[] = [];
  for (let i = 0; i < REPLICAS; i++) bridges.push(IN_PROCESS ? await startBridgeOn(emulator, redis.url) : await startBridgeProcess(emulator, redis.url));
  const front = await startRoundRobinFront(bridges.map((b) => new URL(b.url).origin));
  return {
    url: `${front.url}/scim/v2`,
    close: async () => {
      await front.close();
      for (const b of bridges) await b.close();
      await redis.stop();
    },
  };
}

interface Tally {
  idp429: number;
}

async function call(base: string, tally: Tally, method: string, path: string, body?: unknown): Promise<{ status: number; json: any; ms: number }> {
  const t0 = performance.now();
  for (;;) {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { Authorization: `Bearer ${TOKEN}`, "Content-Type": "application/scim+json" },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    if (res.status === 429) {
      // An IdP honours Retry-After; the time spent waiting counts in the operation's latency.
      tally.idp429++;
      await new Promise((r) => setTimeout(r, Number(res.headers.get("retry-after") ?? 1) * 1000));
      continue;
    }
    return { status: res.status, json: text ? JSON.parse(text) : null, ms: performance.now() - t0 };
  }
}

async function pool<T>(items: T[], work: (item: T) => Promise<number>, concurrency = CONCURRENCY): Promise<number[]> {
  const latencies: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) latencies.push(await work(items[next++]!));
    }),
  );
  return latencies.sort((a, b) => a - b);
}

const pct = (xs: number[], p: number) => (xs.length === 0 ? 0 : xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!);

function userBody(email: string, i: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    schemas: [CORE, ENTERPRISE],
    userName: email,
    name: { givenName: "Bench", familyName: `User${i}` },
    emails: [{ value: email, type: "work", primary: true }],
    active: true,
    ...mappedValues(i),
    ...extra,
  };
}

const emailOf = (cycle: string, i: number) => `${cycle}.${i}@example.test`;
const filterPath = (email: string) => `/Users?filter=${encodeURIComponent(`userName eq "${email}"`)}`;

interface Row {
  cycle: string;
  users: number;
  concurrency: number;
  latencyMs: number;
  calls: number;
  seconds: number;
  upstream429: number;
  idp429: number;
  latencies: number[];
  byEndpoint: Record<string, number>;
}

/** How many users go through a cycle, over how many IdP connections, at which upstream latency. */
interface Shape {
  users: number;
  concurrency: number;
  latencyMs: number;
}

interface Cycle {
  name: string;
  /** Users in the classic table. */
  users: number;
  /** Each user's batched upstream calls, in order, and how many users one such call may carry. */
  stages: Array<{ call: string; batch: number }>;
  /** Users created before the cycle (at an unlimited quota), returned as SCIM ids. */
  seed?: (base: string, tally: Tally, users: number) => Promise<string[]>;
  run: (base: string, tally: Tally, seeded: string[], shape: Shape) => Promise<number[]>;
}

/** Write batches (customers, attribute values) and merged reads (merged-reads.ts fullBatch). */
const WRITE_BATCH = 10;
const READ_BATCH = 20;

/** The fewest upstream calls per user at `concurrency` IdP connections (see the file comment). */
function reachableMinimum(cycle: Cycle, concurrency: number): number {
  return cycle.stages.reduce((sum, stage) => sum + 1 / Math.min(concurrency, stage.batch), 0);
}

async function seedUsers(base: string, tally: Tally, cycle: string, count: number): Promise<string[]> {
  const ids: string[] = new Array(count);
  await pool(
    Array.from({ length: count }, (_, i) => i),
    async (i) => {
      const r = await call(base, tally, "POST", "/Users", userBody(emailOf(cycle, i), i, { externalId: `ext-${cycle}-${i}`, title: "Clerk" }));
      if (r.status !== 201) throw new Error(`seed ${i}: ${r.status} ${JSON.stringify(r.json)}`);
      ids[i] = r.json.id;
      return r.ms;
    },
  );
  return ids;
}

const cycles: Cycle[] = [
  {
    name: "entra-sync",
    users: USERS,
    stages: [
      { call: "GET email:in", batch: READ_BATCH },
      { call: "POST customers", batch: WRITE_BATCH },
      { call: "POST metafields (index)", batch: WRITE_BATCH },
    ],
    async run(base, tally, _seeded, shape) {
      return pool(
        Array.from({ length: shape.users }, (_, i) => i),
        async (i) => {
          const email = emailOf("entra-sync", i);
          const t0 = performance.now();
          const found = await call(base, tally, "GET", filterPath(email));
          if (found.status !== 200 || found.json.totalResults !== 0) throw new Error(`lookup ${email}: ${found.status}`);
          const created = await call(
            base,
            tally,
            "POST",
            "/Users",
            userBody(email, i, { externalId: `entra-${i}`, [ENTERPRISE]: { department: "Sales", employeeNumber: String(1000 + i) } }),
          );
          if (created.status !== 201) throw new Error(`create ${email}: ${created.status} ${JSON.stringify(created.json)}`);
          return performance.now() - t0;
        },
        shape.concurrency,
      );
    },
  },
  {
    name: "okta-push",
    users: USERS,
    stages: [
      { call: "GET id:in", batch: READ_BATCH },
      { call: "PUT customers", batch: WRITE_BATCH },
    ],
    seed: (base, tally, users) => seedUsers(base, tally, "okta-push", users),
    async run(base, tally, ids, shape) {
      return pool(
        ids.map((id, i) => [id, i] as const),
        async ([id, i]) => {
          const t0 = performance.now();
          const got = await call(base, tally, "GET", `/Users/${id}`);
          if (got.status !== 200) throw new Error(`get ${id}: ${got.status}`);
          // Okta pushes the whole profile; the given name changed.
          const user = got.json;
          const put = await call(base, tally, "PUT", `/Users/${id}`, {
            schemas: [CORE],
            id,
            userName: user.userName,
            externalId: user.externalId,
            name: { givenName: "Pushed", familyName: `User${i}` },
            emails: user.emails,
            title: user.title,
            active: true,
            ...mappedValues(i),
          });
          if (put.status !== 200) throw new Error(`put ${id}: ${put.status} ${JSON.stringify(put.json)}`);
          return performance.now() - t0;
        },
        shape.concurrency,
      );
    },
  },
  {
    name: "entra-deactivate",
    users: USERS,
    stages: [
      { call: "GET email:in", batch: READ_BATCH },
      { call: "PUT customers", batch: WRITE_BATCH },
      { call: "PUT attribute-values", batch: WRITE_BATCH },
    ],
    seed: (base, tally, users) => seedUsers(base, tally, "entra-deactivate", users),
    async run(base, tally, ids, shape) {
      return pool(
        ids.map((id, i) => [id, i] as const),
        async ([id, i]) => {
          const email = emailOf("entra-deactivate", i);
          const t0 = performance.now();
          const found = await call(base, tally, "GET", filterPath(email));
          if (found.status !== 200 || found.json.Resources?.[0]?.id !== id) throw new Error(`lookup ${email}: ${found.status}`);
          const patched = await call(base, tally, "PATCH", `/Users/${id}`, {
            schemas: [PATCH_OP],
            Operations: [{ op: "Replace", path: "active", value: "False" }],
          });
          if (patched.status !== 200 && patched.status !== 204) throw new Error(`patch ${id}: ${patched.status} ${JSON.stringify(patched.json)}`);
          return performance.now() - t0;
        },
        shape.concurrency,
      );
    },
  },
  {
    name: "bulk-create",
    users: BULK_USERS,
    stages: [{ call: "POST customers", batch: WRITE_BATCH }],
    async run(base, tally, _seeded, shape) {
      return pool(
        Array.from({ length: shape.users }, (_, i) => i),
        async (i) => {
          const r = await call(base, tally, "POST", "/Users", userBody(emailOf("bulk-create", i), i));
          if (r.status !== 201) throw new Error(`create ${i}: ${r.status} ${JSON.stringify(r.json)}`);
          return r.ms;
        },
        shape.concurrency,
      );
    },
  },
];

function summarise(emulator: RunningEmulator): Pick<Row, "calls" | "upstream429" | "byEndpoint"> {
  const byEndpoint: Record<string, number> = {};
  for (const r of emulator.requests) {
    const key = `${r.method} ${r.path.replace(/^\/stores\/[^/]+/, "")}`;
    byEndpoint[key] = (byEndpoint[key] ?? 0) + 1;
  }
  return { calls: emulator.requests.length, upstream429: emulator.requests.filter((r) => r.status === 429).length, byEndpoint };
}

/**
 * BENCH_TRACE=1: every upstream call of the cycle as "ms:KIND+items" (G read, P customer write, Pa
 * attribute-value write, ...; items = ids or emails read, or batch items written), to see how
 * full calls left and where slots went unused.
 */
function trace(emulator: RunningEmulator): string {
  const t0 = emulator.requests[0]?.at ?? 0;
  return emulator.requests
    .map((r) => {
      const kind = `${r.method[0]}${r.path.endsWith("attribute-values") ? "a" : r.path.endsWith("metafields") ? "m" : ""}`;
      const read = r.query["id:in"] ?? r.query["email:in"];
      return `${r.at - t0}:${kind}${r.items ?? (read === undefined ? "" : read.split(",").length)}`;
    })
    .join(" ");
}

async function runCycle(cycle: Cycle, shape: Shape): Promise<Row> {
  const emulator = await startEmulator({ port: 0, rateQuota: 1_000_000, rateWindowMs: WINDOW, latencyMs: shape.latencyMs });
  try {
    const tally: Tally = { idp429: 0 };
    let seeded: string[] = [];
    if (cycle.seed) {
      const seeder = await startBridgeOn(emulator);
      seeded = await cycle.seed(seeder.url, tally, shape.users);
      await seeder.close();
    }
    const bridge = await startBridgesOn(emulator); // its start-up reads are not part of the cycle
    emulator.setOptions({ rateQuota: QUOTA, rateWindowMs: WINDOW });
    emulator.clearRequests();
    tally.idp429 = 0;
    const t0 = performance.now();
    const latencies = await cycle.run(bridge.url, tally, seeded, shape);
    const seconds = (performance.now() - t0) / 1000;
    if (process.env.BENCH_TRACE) console.log(trace(emulator));
    const row: Row = { cycle: cycle.name, ...shape, seconds, idp429: tally.idp429, latencies, ...summarise(emulator) };
    await bridge.close();
    return row;
  } finally {
    await emulator.close();
  }
}

/** p50 of lone requests on an idle bridge (one at a time, spaced well under the quota). */
async function lone(): Promise<{ create: number; lookup: number }> {
  const emulator = await startEmulator({ port: 0, rateQuota: QUOTA, rateWindowMs: WINDOW, latencyMs: LATENCY });
  const bridge = await startBridgeOn(emulator);
  const tally: Tally = { idp429: 0 };
  const creates: number[] = [];
  const lookups: number[] = [];
  const spacing = Math.ceil((2 * WINDOW) / QUOTA) + 50;
  try {
    await new Promise((r) => setTimeout(r, WINDOW)); // start-up calls leave the window
    for (let i = 0; i < 11; i++) {
      const email = emailOf("lone", i);
      const created = await call(bridge.url, tally, "POST", "/Users", userBody(email, i));
      if (created.status !== 201) throw new Error(`lone create: ${created.status}`);
      creates.push(created.ms);
      await new Promise((r) => setTimeout(r, spacing));
      lookups.push((await call(bridge.url, tally, "GET", filterPath(email))).ms);
      await new Promise((r) => setTimeout(r, spacing));
    }
  } finally {
    await bridge.close();
    await emulator.close();
  }
  return { create: pct(creates.sort((a, b) => a - b), 50), lookup: pct(lookups.sort((a, b) => a - b), 50) };
}

async function classic(): Promise<void> {
  console.log(
    `bench: ${USERS} users (${BULK_USERS} for bulk-create), ${CONCURRENCY} IdP connections, emulator quota ${QUOTA} per ${WINDOW} ms, latency ${LATENCY} ms` +
      (REPLICAS > 1 ? `, ${REPLICAS} replicas sharing Redis behind a round-robin front` : ""),
  );
  const rows: Row[] = [];
  for (const cycle of cycles) {
    if (only && !only.includes(cycle.name)) continue;
    const row = await runCycle(cycle, { users: cycle.users, concurrency: CONCURRENCY, latencyMs: LATENCY });
    rows.push(row);
    record(row, cycle);
    console.log(`  ${row.cycle}: ${row.seconds.toFixed(1)} s; ${JSON.stringify(row.byEndpoint)}`);
  }
  if (rows.length > 0) {
    console.log("\n| cycle | users | upstream calls/user | ratio to floor | upstream 429s | IdP 429s | p50 ms per user | p95 ms per user |");
    console.log("|---|---|---|---|---|---|---|---|");
    for (const r of rows) {
      const floorSeconds = Math.ceil(r.users / 10) / (QUOTA / (WINDOW / 1000));
      console.log(
        `| ${r.cycle} | ${r.users} | ${(r.calls / r.users).toFixed(2)} | ${(floorSeconds / r.seconds).toFixed(2)} | ${r.upstream429} | ${r.idp429} | ` +
          `${pct(r.latencies, 50).toFixed(0)} | ${pct(r.latencies, 95).toFixed(0)} |`,
      );
    }
  }
  if (!only || only.includes("lone")) {
    const l = await lone();
    console.log(`\nidle bridge, p50 of a lone request: create ${l.create.toFixed(0)} ms, userName eq lookup ${l.lookup.toFixed(0)} ms`);
  }
}

/** Appends a cell to the --json file, one line each, for comparisons between runs. */
function record(row: Row, cycle: Cycle): void {
  if (!JSON_OUT) return;
  const { latencies, ...rest } = row;
  const line = {
    ...rest,
    mode: CLASSIC ? "classic" : "sweep",
    callsPerUser: row.calls / row.users,
    minimum: reachableMinimum(cycle, row.concurrency),
    p50: pct(latencies, 50),
    p95: pct(latencies, 95),
  };
  appendFileSync(JSON_OUT, `${JSON.stringify(line)}\n`);
}

/** Every cell of connections × latency × cycle, one fresh bridge and emulator each. */
async function sweep(): Promise<void> {
  console.log(
    `bench sweep: ${ROUNDS} rounds per IdP connection (at least 16 users), emulator quota ${QUOTA} per ${WINDOW} ms; ` +
      `minimum = Σ over a user's stages of 1 / min(connections, batch size)`,
  );
  console.log("\n| cycle | IdP connections | latency ms | users | upstream calls/user | reachable minimum | ratio | p50 ms per user | p95 ms per user | upstream 429s | IdP 429s |");
  console.log("|---|---|---|---|---|---|---|---|---|---|---|");
  for (const latencyMs of SWEEP_LATENCY) {
    for (const concurrency of SWEEP_CONCURRENCY) {
      for (const cycle of cycles) {
        if (only && !only.includes(cycle.name)) continue;
        const users = Math.max(16, ROUNDS * concurrency);
        const row = await runCycle(cycle, { users, concurrency, latencyMs });
        record(row, cycle);
        const perUser = row.calls / row.users;
        const minimum = reachableMinimum(cycle, concurrency);
        console.log(
          `| ${row.cycle} | ${concurrency} | ${latencyMs} | ${users} | ${perUser.toFixed(2)} | ${minimum.toFixed(2)} | ${(perUser / minimum).toFixed(2)} | ` +
            `${pct(row.latencies, 50).toFixed(0)} | ${pct(row.latencies, 95).toFixed(0)} | ${row.upstream429} | ${row.idp429} |`,
        );
      }
    }
  }
}

if (CLASSIC) await classic();
else await sweep();
