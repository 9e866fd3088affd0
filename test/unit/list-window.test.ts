import { describe, expect, it } from "vitest";
import { pagesForWindow } from "../../src/scim/list-window.js";

describe("SCIM window -> BigCommerce pages", () => {
  it.each([
    [1, 100, { limit: 100, pages: [1], skip: 0 }],
    [101, 100, { limit: 100, pages: [2], skip: 0 }],
    [21, 50, { limit: 70, pages: [1], skip: 20 }],
    [1, 2, { limit: 2, pages: [1], skip: 0 }],
    [2, 2, { limit: 3, pages: [1], skip: 1 }],
  ])("startIndex %i count %i", (startIndex, count, expected) => {
    expect(pagesForWindow(startIndex, count)).toEqual(expected);
  });

  it("covers every window exactly", () => {
    for (let start = 1; start <= 600; start += 7) {
      for (const count of [1, 5, 37, 100, 249, 250]) {
        const p = pagesForWindow(start, count);
        const first = (p.pages[0]! - 1) * p.limit;
        expect(first + p.skip).toBe(start - 1);
        expect(p.pages.length * p.limit - p.skip).toBeGreaterThanOrEqual(count);
        expect(p.limit).toBeLessThanOrEqual(250);
      }
    }
  });
});
