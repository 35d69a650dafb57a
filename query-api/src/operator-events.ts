import { Router, type Request } from 'express';
import { z } from 'zod';
import { selectsEvent } from '@chirp/domain/event-selection';
import { eventTypes, isEventType } from '@chirp/domain/events';
import type { EventStore, SqlQueryable } from '@chirp/event-store';
import { defaultErrorLog, fieldErrors, parseParams, parseQuery, principalOf, ProblemError, requireAuth, requireRole, type ErrorLog, type TokenService } from '@chirp/http-kit';
import { readEventRates } from '@chirp/projectors/read-models/event-rates/reader';
import { LiveEventStreams } from './live-event-streams.ts';
import { operatorEventView } from './operator-event-view.ts';

export interface OperatorEventsOptions {
  store: EventStore;
  db: SqlQueryable;
  tokens: TokenService;
  /** The end of the event-rates window; default the wall clock. */
  clock?: () => number;
  /** Live streams open at once per process; default 16. */
  maxLiveStreams?: number;
  /** How often an idle live stream gets a keep-alive comment; default 15 s. */
  keepAliveMs?: number;
  log?: ErrorLog;
}

export interface OperatorEvents {
  router: Router;
  /** Ends every open live stream at once: call on shutdown. */
  close(): void;
}

const MINUTE_MS = 60_000;

/** Digits only, as a command answered it: no sign, no exponent, no blank. */
const Position = z
  .string()
  .regex(/^\d+$/, 'must be a non-negative integer position (digits only)')
  .transform(Number)
  .refine(Number.isSafeInteger, 'is larger than any position');

/** A stream id as domain/src/streams.ts makes them: `<kind>-<id>` (handles and tags may hold `_` and letters of any script). */
const StreamId = z
  .string()
  .max(200)
  .regex(/^[a-z]+-[\p{L}\p{N}_-]+$/u, 'must be a stream id such as user-<id> or tweet-<id>');

const EventTypeList = z.string().transform((text, ctx) => {
  const types = text.split(',').map((t) => t.trim()).filter(Boolean);
  const unknown = types.filter((t) => !isEventType(t));
  if (unknown.length > 0) ctx.addIssue({ code: 'custom', message: `unknown event type ${unknown.join(', ')}; valid types: ${eventTypes.join(', ')}` });
  if (types.length === 0) ctx.addIssue({ code: 'custom', message: 'must name at least one event type' });
  return new Set(types);
});

const LiveQuery = z.looseObject({
  type: EventTypeList.optional(),
  stream: StreamId.optional(),
  user: z.string().min(1).max(200).optional(),
  after: Position.optional(),
  last: z.coerce.number().int().min(0).max(1000).default(0),
});

const LastEventIdHeader = z.object({ 'last-event-id': Position.optional() });

const StreamParams = z.object({ streamId: StreamId });
const StreamPageQuery = z.looseObject({
  fromRevision: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER).default(0),
  limit: z.coerce.number().int().min(1).max(1000).default(200),
});

const RatesQuery = z.looseObject({ minutes: z.coerce.number().int().min(1).max(1440).default(60) });

/**
 * What the operators' dashboard reads (docs/operations.md, "Dashboard"): the log live as
 * server-sent events, one stream's history, and events per type per minute. Operators only, and
 * even they get secret payload fields (password hashes) redacted (operatorEventView).
 */
export function operatorEvents(options: OperatorEventsOptions): OperatorEvents {
  const { store, db } = options;
  const clock = options.clock ?? Date.now;
  const live = new LiveEventStreams({
    store,
    maxStreams: options.maxLiveStreams ?? 16,
    keepAliveMs: options.keepAliveMs ?? 15_000,
    log: options.log ?? defaultErrorLog,
  });
  const operatorOnly = [requireAuth(options.tokens), requireRole('operator', 'the event log is for operators only')];
  const router = Router();

  // After `Last-Event-ID` (a client reconnecting) or `?after=`; else the newest `?last=` events of
  // the log (those matching the filters), then live ones — a tail opens on what just happened.
  // It ends when the token it was opened with expires: the role was checked with that token.
  router.get('/v1/admin/events/live', ...operatorOnly, async (req, res) => {
    const query = parseQuery(LiveQuery, req.query);
    const resume = lastEventId(req) ?? query.after;
    const backlog = resume === undefined ? await store.readLatest(query.last) : [];
    const after = resume ?? backlog.at(-1)?.position ?? (await store.headPosition());
    // The same selection as `npx chirp events tail`.
    const wanted = selectsEvent({
      ...(query.type ? { types: query.type } : {}),
      ...(query.stream ? { streamId: query.stream } : {}),
      ...(query.user ? { actorUserId: query.user } : {}),
    });
    await live.serve(res, { after, backlog, endsAt: principalOf(res).expiresAt }, wanted);
  });

  router.get('/v1/admin/streams/:streamId/events', ...operatorOnly, async (req, res) => {
    const { streamId } = parseParams(StreamParams, req.params);
    const { fromRevision, limit } = parseQuery(StreamPageQuery, req.query);
    // One more than asked for says whether there is a next page.
    const events = await store.readStream(streamId, { fromRevision, limit: limit + 1 });
    if (events.length === 0 && (fromRevision === 0 || (await store.readStream(streamId, { limit: 1 })).length === 0))
      throw new ProblemError(404, `stream ${streamId} has no events`);
    const items = events.slice(0, limit);
    res.json({ streamId, items: items.map(operatorEventView), nextRevision: events.length > limit ? items.at(-1)!.streamRevision + 1 : null });
  });

  // The last `minutes` minutes, ending with the current one (still filling).
  router.get('/v1/admin/event-rates', ...operatorOnly, async (req, res) => {
    const { minutes } = parseQuery(RatesQuery, req.query);
    const to = (Math.floor(clock() / MINUTE_MS) + 1) * MINUTE_MS;
    const from = to - minutes * MINUTE_MS;
    const rates = await readEventRates(db, { from: new Date(from), to: new Date(to) });
    res.json({ from: new Date(from).toISOString(), to: new Date(to).toISOString(), bucketSeconds: 60, ...rates });
  });

  return { router, close: () => live.closeAll() };
}

/** The `Last-Event-ID` header an EventSource sends when it reconnects; errors point at `#/headers/last-event-id`. */
function lastEventId(req: Request): number | undefined {
  const result = LastEventIdHeader.safeParse({ 'last-event-id': req.get('last-event-id') });
  if (!result.success) throw new ProblemError(400, 'the request is not valid', { errors: fieldErrors(result.error, 'headers') });
  return result.data['last-event-id'];
}
