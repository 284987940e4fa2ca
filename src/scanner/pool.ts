/** Bounded concurrency: `fn` over `items` with at most `concurrency` calls in flight, results in
 * input order. `fn` must not throw (a rejection fails the whole pool, as Promise.all does). */
export async function runPool<T, R>(items: readonly T[], concurrency: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]!, index);
    }
  };
  const width = Math.max(1, Math.min(Math.trunc(concurrency) || 1, items.length));
  await Promise.all(Array.from({ length: width }, worker));
  return results;
}
