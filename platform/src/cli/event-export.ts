import type { StoredEvent } from '@chirp/domain/envelope';
import type { EventType } from '@chirp/domain/events';
import type { EventStore } from '@chirp/event-store/port';

/** Which events an export writes. Both bounds are inclusive. */
export interface ExportSelection {
  fromPosition: number;
  /**
   * The last position to export. The command fills it with the head at start when the user gave
   * none, so a busy log cannot keep an export running forever and the ETA has a fixed total.
   */
  toPosition: number;
  /** Only these types; undefined for all. */
  types?: readonly EventType[];
  /** Only this stream; undefined for the whole log. */
  streamId?: string;
}

export interface ExportPage {
  /** Events read from the store for this page (matching or not): what progress counts. */
  scanned: number;
  /** The events of the page that match the selection, in position order. */
  events: StoredEvent[];
}

/**
 * The selected events, one page at a time, so an export holds at most one page in memory however
 * long the log is. The whole log is read through `readAll`, which pages by position and never
 * skips an event; the port has no type filter, so types are filtered here (a filtered export
 * still reads every event in the range). A single stream is read through `readStream` instead,
 * by its own index: the rest of the log is never touched.
 */
export async function* exportPages(store: EventStore, selection: ExportSelection, pageSize: number): AsyncGenerator<ExportPage> {
  if (selection.toPosition < selection.fromPosition) return;
  const wanted = (e: StoredEvent) => !selection.types || (selection.types as readonly string[]).includes(e.type);
  if (selection.streamId !== undefined) {
    yield* streamPages(store, selection.streamId, selection, pageSize, wanted);
    return;
  }
  // readAll reads after its position; the selection's start is inclusive. Positions are ≥ 1.
  let cursor = Math.max(selection.fromPosition - 1, 0);
  for (;;) {
    const page = await store.readAll(cursor, pageSize);
    const inRange = page.filter((e) => e.position <= selection.toPosition);
    if (inRange.length > 0) yield { scanned: inRange.length, events: inRange.filter(wanted) };
    if (inRange.length < pageSize) return; // a short page is the end of the log or of the range
    cursor = inRange[inRange.length - 1]!.position;
  }
}

async function* streamPages(
  store: EventStore,
  streamId: string,
  selection: ExportSelection,
  pageSize: number,
  wanted: (e: StoredEvent) => boolean,
): AsyncGenerator<ExportPage> {
  // A stream's positions grow with its revisions (its appends are serialised by the stream's row
  // lock and commit in order), so revision order is position order and the range ends the read.
  for (let fromRevision = 0; ; fromRevision += pageSize) {
    const page = await store.readStream(streamId, { fromRevision, limit: pageSize });
    const inRange = page.filter((e) => e.position >= selection.fromPosition && e.position <= selection.toPosition);
    if (page.length > 0) yield { scanned: page.length, events: inRange.filter(wanted) };
    if (page.length < pageSize || page.some((e) => e.position > selection.toPosition)) return;
  }
}

/**
 * How many events an export of the whole log will read, for the progress bar's ETA: two counts
 * over the primary key, done only when progress is shown. undefined for a one-stream export
 * (streams are small by design, and the port cannot count one without reading it).
 */
export async function countToScan(store: EventStore, selection: ExportSelection): Promise<number | undefined> {
  if (selection.streamId !== undefined) return undefined;
  if (selection.toPosition < selection.fromPosition) return 0;
  const all = Number.MAX_SAFE_INTEGER;
  const [fromStart, afterEnd] = await Promise.all([
    store.countAfter(Math.max(selection.fromPosition - 1, 0), all),
    store.countAfter(selection.toPosition, all),
  ]);
  return Math.max(fromStart - afterEnd, 0);
}
