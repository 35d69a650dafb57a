/** How long `work` took to settle, and its error if it rejected (undefined if it resolved): for fail-fast start-up tests. */
export async function timed<T>(work: Promise<T>): Promise<{ error: unknown; ms: number }> {
  const started = performance.now();
  try {
    await work;
    return { error: undefined, ms: performance.now() - started };
  } catch (error) {
    return { error, ms: performance.now() - started };
  }
}
