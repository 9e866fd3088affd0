import { expect, it } from "vitest";
import type { UnsettledCreates } from "../../src/bigcommerce/unsettled-creates.js";

/** The behaviour every home of UnsettledCreates must have (in-process and Redis). */
export function unsettledCreatesContract(make: (memoryMs: number) => Promise<UnsettledCreates>): void {
  const jane = { first_name: "Jane", last_name: "Doe" };

  it("remembers a create, and forgets it when settled", async () => {
    const store = await make(60_000);
    const now = Date.now();
    expect(await store.recall("jane@example.com", now)).toBeUndefined();
    await store.remember("jane@example.com", { ...jane, firstAttemptAt: now - 500 }, now);
    expect(await store.recall("jane@example.com", now)).toEqual({ ...jane, firstAttemptAt: now - 500 });
    expect(await store.recall("john@example.com", now)).toBeUndefined();
    await store.forget("jane@example.com");
    expect(await store.recall("jane@example.com", now)).toBeUndefined();
  });

  it("keeps the earliest attempt of the same create, and replaces a create with other names", async () => {
    const store = await make(60_000);
    const now = Date.now();
    await store.remember("j@example.com", { ...jane, firstAttemptAt: now - 1_000 }, now);
    await store.remember("j@example.com", { ...jane, firstAttemptAt: now - 200 }, now);
    expect((await store.recall("j@example.com", now))?.firstAttemptAt).toBe(now - 1_000);
    await store.remember("j@example.com", { first_name: "Janet", last_name: "Doe", firstAttemptAt: now - 100 }, now);
    expect(await store.recall("j@example.com", now)).toEqual({ first_name: "Janet", last_name: "Doe", firstAttemptAt: now - 100 });
  });

  it("forgets a create after the memory span", async () => {
    const store = await make(300);
    const at = Date.now();
    await store.remember("old@example.com", { ...jane, firstAttemptAt: at }, at);
    await new Promise((r) => setTimeout(r, 400));
    expect(await store.recall("old@example.com", Date.now())).toBeUndefined();
  });
}
