import { describe, expect, it } from "vitest";
import { MAX_PASSES, SlotQueue } from "../../src/bigcommerce/slot-queue.js";

interface W {
  name: string;
  fill?: () => number;
}
const w = (name: string, fill?: number): W => (fill === undefined ? { name } : { name, fill: () => fill });

function takeAll(q: SlotQueue<W>): string[] {
  const order: string[] = [];
  for (let next = q.takeNext(); next; next = q.takeNext()) order.push(next.name);
  return order;
}

describe("SlotQueue: who gets the next request slot", () => {
  it("is first come, first served among full calls (callers without a fill count as full)", () => {
    const q = new SlotQueue<W>();
    for (const x of [w("a"), w("b", 1), w("c")]) q.add(x);
    expect(takeAll(q)).toEqual(["a", "b", "c"]);
    expect(q.takeNext()).toBeUndefined();
  });

  it("gives the slot to the fullest call, ties to the oldest", () => {
    const q = new SlotQueue<W>();
    for (const x of [w("read half", 0.5), w("write full", 1), w("attr full", 1)]) q.add(x);
    expect(q.takeNext()?.name).toBe("write full");
    expect(q.takeNext()?.name).toBe("attr full");
    expect(q.takeNext()?.name).toBe("read half");
  });

  it("asks for the fill when the slot is handed out, so a queue that filled meanwhile counts as full", () => {
    const q = new SlotQueue<W>();
    let readFill = 0.2;
    q.add({ name: "read", fill: () => readFill });
    q.add(w("write", 0.9));
    readFill = 1;
    expect(q.takeNext()?.name).toBe("read");
  });

  it(`never passes a thin call over more than ${MAX_PASSES} times`, () => {
    const q = new SlotQueue<W>();
    q.add(w("thin", 0.1));
    const order: string[] = [];
    for (let i = 0; i < 5; i++) {
      q.add(w(`full ${i}`, 1));
      order.push(q.takeNext()!.name);
    }
    expect(order).toEqual(["full 0", "full 1", "thin", "full 2", "full 3"]);
  });

  it("counts only younger callers going first as passing over", () => {
    const q = new SlotQueue<W>();
    for (const x of [w("old full"), w("thin", 0.1), w("young full")]) q.add(x);
    // The older full call going first does not count against the thin one.
    expect(takeAll(q)).toEqual(["old full", "young full", "thin"]);
  });

  it("reports the worst-case grants ahead of each caller: its place, plus the passes left when not full", () => {
    const q = new SlotQueue<W>();
    const thin = w("thin", 0.3);
    for (const x of [w("a"), thin, w("c")]) q.add(x);
    expect(q.withSlotsAhead().map((e) => [e.waiter.name, e.slotsAhead])).toEqual([
      ["a", 0],
      ["thin", 1 + MAX_PASSES],
      ["c", 2],
    ]);
    q.takeNext(); // a: older, not a pass
    q.add(w("d"));
    q.takeNext(); // c passes thin over
    expect(q.withSlotsAhead().map((e) => [e.waiter.name, e.slotsAhead])).toEqual([
      ["thin", MAX_PASSES - 1],
      ["d", 1],
    ]);
  });

  it("treats a fill that is not a number in range as full, and clamps the rest", () => {
    const q = new SlotQueue<W>();
    for (const x of [w("negative", -3), w("nan", Number.NaN), w("over", 7)]) q.add(x);
    expect(takeAll(q)).toEqual(["nan", "over", "negative"]);
  });

  it("removes (one, or those a predicate names) and drains", () => {
    const q = new SlotQueue<W>();
    const a = w("a");
    q.add(a);
    q.add(w("b"));
    expect(q.remove(a)).toBe(true);
    expect(q.remove(a)).toBe(false);
    q.add(w("c", 0.5));
    expect(q.removeWhere((x) => x.name === "c").map((x) => x.name)).toEqual(["c"]);
    expect(q.drain().map((x) => x.name)).toEqual(["b"]);
    expect(q.length).toBe(0);
  });
});
