/**
 * Maps a SCIM window (1-based startIndex, any count) onto BigCommerce page/limit. One page of a
 * size between `count` and 250 usually covers the window exactly; otherwise two consecutive
 * pages of size `count` do. Returns where the window starts inside what those pages return.
 */
export interface PagePlan {
  limit: number;
  pages: number[];
  /** Index, in the concatenation of the fetched pages, of the window's first item. */
  skip: number;
}

export const MAX_PAGE_SIZE = 250;

export function pagesForWindow(startIndex: number, count: number): PagePlan {
  const offset = Math.max(0, startIndex - 1);
  if (count <= 0) return { limit: 1, pages: [1], skip: 0 };
  const last = offset + count - 1;
  for (let limit = count; limit <= MAX_PAGE_SIZE; limit++) {
    const page = Math.floor(offset / limit);
    if (page === Math.floor(last / limit)) return { limit, pages: [page + 1], skip: offset - page * limit };
  }
  const page = Math.floor(offset / count);
  return { limit: count, pages: [page + 1, page + 2], skip: offset - page * count };
}
