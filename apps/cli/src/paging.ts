/** Reads a list endpoint page by page, up to `limit` items. */
export async function allPages<T>(
  page: (query: {
    limit: number;
    cursor?: string;
  }) => Promise<{ items: T[]; nextCursor: string | null }>,
  limit = Number.POSITIVE_INFINITY,
): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | undefined;
  do {
    const p = await page({
      limit: Math.min(100, Math.max(1, limit - items.length)),
      ...(cursor !== undefined ? { cursor } : {}),
    });
    items.push(...p.items);
    cursor = p.nextCursor ?? undefined;
  } while (cursor !== undefined && items.length < limit);
  return items.slice(0, limit);
}
