/**
 * Runs `task` over consecutive chunks of `items`, at most `concurrency` chunks in flight, and
 * resolves to the results in chunk order. A fan-out to thousands of lists becomes a few round
 * trips that overlap (network and server work of one chunk while the next is encoded), never
 * one round trip per list. The first failure rejects; chunks already started still finish.
 */
export async function mapChunks<T, R>(
  items: readonly T[],
  chunkSize: number,
  concurrency: number,
  task: (chunk: T[]) => Promise<R>,
): Promise<R[]> {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += chunkSize) chunks.push(items.slice(i, i + chunkSize));
  const results = new Array<R>(chunks.length);
  let next = 0;
  const worker = async () => {
    while (next < chunks.length) {
      const index = next++;
      results[index] = await task(chunks[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, chunks.length) }, worker));
  return results;
}
