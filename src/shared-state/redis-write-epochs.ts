import type { Redis } from "ioredis";
import type { SharedWriteEpochs } from "../scim/users/recent-reads.js";
import type { Keyspace } from "./keyspace.js";
import { LuaScript } from "./lua-script.js";
import { shared } from "./redis-connection.js";

/**
 * Write epochs shared by replicas, so that a read remembered on one replica is never used after
 * another replica wrote the customer (src/scim/users/recent-reads.ts): a store-wide counter, and
 * per customer the counter at its latest write start (negative until that write ends) or end.
 * The per-customer marks outlive any remembered read by far (they expire after `ttlMs`).
 */

// KEYS: counter, customer mark. ARGV: ended (0/1), ttl ms. Returns {new mark, previous mark or false}.
const TOUCH = new LuaScript(`
local previous = redis.call('GET', KEYS[2])
local e = redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2] * 10)
local mark = e
if ARGV[1] == '0' then mark = -e end
redis.call('SET', KEYS[2], mark, 'PX', ARGV[2])
return {mark, previous}
`);

export class RedisWriteEpochs implements SharedWriteEpochs {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keyspace,
    private readonly ttlMs = 10 * 60_000,
  ) {}

  async counter(): Promise<number> {
    const raw = await shared("reading the write counter", () => this.redis.get(this.keys.writeCounter()));
    return raw === null ? 0 : Number(raw);
  }

  async latest(ids: readonly number[]): Promise<(number | null)[]> {
    if (ids.length === 0) return [];
    const raw = await shared("reading write marks", () => this.redis.mget(...ids.map((id) => this.keys.writeMark(id))));
    return raw.map((v) => (v === null ? null : Number(v)));
  }

  async touch(id: number, ended: boolean): Promise<{ mark: number; previous: number | null }> {
    const [mark, previous] = (await shared("noting a write", () =>
      TOUCH.run(this.redis, [this.keys.writeCounter(), this.keys.writeMark(id)], [ended ? 1 : 0, this.ttlMs]),
    )) as [number, string | null];
    return { mark: Number(mark), previous: previous === null || previous === undefined ? null : Number(previous) };
  }
}
