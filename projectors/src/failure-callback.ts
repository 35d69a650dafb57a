/**
 * The failure callback a projector loop calls: the caller's, else `fallback`, wrapped so that a
 * callback that throws cannot stop the loop that reports through it.
 */
export function failureCallback<Info>(given: ((error: Error, info: Info) => void) | undefined, fallback: (error: Error, info: Info) => void): (error: Error, info: Info) => void {
  const report = given ?? fallback;
  return (error, info) => {
    try {
      report(error, info);
    } catch {
      // a failing callback must not stop the runner or consumer
    }
  };
}
