import { EVENTS_CHANNEL } from './event-notifier.ts';

/** Most events one transaction may append: the low 16 bits of a position are the ordinal. */
export const EVENTS_PER_TRANSACTION = 65_536;

/**
 * Name of the append function. The version is part of the name: a change to the body must come
 * with a new name, because during a rolling deploy the previous release's processes keep calling
 * theirs (schema setup replaces only the current version, so a database set up by an older
 * release gains the new function on the next start and keeps the old one).
 */
export const APPEND_FUNCTION = 'chirp_append_v1';

/** SQLSTATE the function raises when an append would break a bound of the store (→ RangeError). */
export const BOUND_EXCEEDED_SQLSTATE = 'ZC001';

/** How an append ended; the two refusals are results, not errors (see below). */
export type AppendOutcome = 'appended' | 'wrong_revision' | 'duplicate';

/**
 * The whole append (docs/event-store.md, "Append") as one PL/pgSQL function, so that it costs one
 * round trip: called as a statement of its own it is its own transaction, and inside a caller's
 * transaction it is one more statement. The steps are the ones the TypeScript append used to send
 * one by one; each statement in the function takes a fresh snapshot (READ COMMITTED, volatile
 * function), so "lock, then read what the predecessor committed" still holds.
 *
 * Arguments: stream id; the expectation as a kind ('any' | 'no_stream' | 'stream_exists' |
 * 'exact') plus the revision for 'exact'; the batch as the jsonb array `encodeEvents` makes (never
 * empty: an empty append does not call this); whether to send the NOTIFY (delivered on commit) —
 * inside a caller's transaction yes, while the port's append announces after its commit instead
 * (sql-append.ts says why).
 *
 * A wrong expected revision and a duplicate event id are *returned* (outcome, with the actual
 * revision or the duplicate id), having written nothing: an error raised by a statement would
 * abort the whole transaction, and `appendInTransaction` promises a caller that a refused append
 * leaves its transaction usable. Only a broken bound (65536 events per transaction, positions
 * beyond 2^53) is raised, with BOUND_EXCEEDED_SQLSTATE. A duplicate id inside the batch, or one a
 * concurrent transaction is inserting, surfaces as the unique violation of
 * `chirp_events_event_id_key` from the INSERT.
 */
export const APPEND_FUNCTION_DDL = `
CREATE OR REPLACE FUNCTION ${APPEND_FUNCTION}(
  p_stream_id text, p_expected_kind text, p_expected_revision bigint, p_events jsonb, p_notify boolean)
RETURNS TABLE (outcome text, last_position bigint, current_revision bigint, duplicate_event_id text)
LANGUAGE plpgsql AS $fn$
DECLARE
  v_count bigint := jsonb_array_length(p_events);
  v_actual bigint;
  v_created boolean := false;
  v_satisfied boolean;
  v_duplicate text;
  v_base bigint;
  v_ordinal bigint;
  v_first bigint;
BEGIN
  -- 1. Lock the stream row: appends to one stream queue here, and each then reads the revision
  --    its predecessor committed.
  SELECT s.revision INTO v_actual FROM chirp_streams s WHERE s.stream_id = p_stream_id FOR UPDATE;
  IF NOT FOUND THEN
    v_actual := -1;
    IF p_expected_kind IN ('any', 'no_stream') THEN
      -- A new stream. ON CONFLICT waits for a concurrent creator and then does nothing; we then
      -- lock the row that creator committed and check against it.
      INSERT INTO chirp_streams (stream_id, revision) VALUES (p_stream_id, v_count - 1)
        ON CONFLICT (stream_id) DO NOTHING;
      IF FOUND THEN
        v_created := true;
      ELSE
        SELECT s.revision INTO v_actual FROM chirp_streams s WHERE s.stream_id = p_stream_id FOR UPDATE;
      END IF;
    END IF;
  END IF;

  -- 2. A retry of an append that already succeeded is reported as such, whatever it expected.
  --    (After the lock, so a retry racing its original sees the original committed.) A stream
  --    row this call created goes again: a refused append leaves nothing behind.
  SELECT e.event_id::text INTO v_duplicate FROM chirp_events e
   WHERE e.event_id IN (SELECT (x ->> 'eventId')::uuid FROM jsonb_array_elements(p_events) x)
   LIMIT 1;
  IF v_duplicate IS NOT NULL THEN
    IF v_created THEN
      DELETE FROM chirp_streams s WHERE s.stream_id = p_stream_id;
    END IF;
    RETURN QUERY SELECT 'duplicate'::text, NULL::bigint, NULL::bigint, v_duplicate;
    RETURN;
  END IF;

  -- 3. The expectation, exactly; a created stream satisfied it already.
  v_satisfied := v_created OR CASE p_expected_kind
      WHEN 'any' THEN true
      WHEN 'no_stream' THEN v_actual = -1
      WHEN 'stream_exists' THEN v_actual >= 0
      ELSE v_actual = p_expected_revision
    END;
  IF NOT v_satisfied THEN
    RETURN QUERY SELECT 'wrong_revision'::text, NULL::bigint, v_actual, NULL::text;
    RETURN;
  END IF;

  -- 4. Positions: this transaction's xid in the high bits, an ordinal in the low 16 bits,
  --    continuing after whatever this transaction appended before.
  v_base := pg_current_xact_id()::text::bigint * ${EVENTS_PER_TRANSACTION};
  SELECT coalesce(max(e.position) - v_base + 1, 0) INTO v_ordinal FROM chirp_events e
   WHERE e.position >= v_base AND e.position < v_base + ${EVENTS_PER_TRANSACTION};
  IF v_ordinal + v_count > ${EVENTS_PER_TRANSACTION} THEN
    RAISE EXCEPTION 'one transaction may append at most ${EVENTS_PER_TRANSACTION} events (% already, % more asked)', v_ordinal, v_count
      USING ERRCODE = '${BOUND_EXCEEDED_SQLSTATE}';
  END IF;
  v_first := v_base + v_ordinal;
  IF v_first + v_count - 1 > ${Number.MAX_SAFE_INTEGER} THEN
    RAISE EXCEPTION 'position % is beyond 2^53', v_first + v_count - 1 USING ERRCODE = '${BOUND_EXCEEDED_SQLSTATE}';
  END IF;

  -- 5. Insert, move the stream's revision, announce if asked to (delivered on commit).
  INSERT INTO chirp_events
    (position, transaction_id, event_id, stream_id, stream_revision, type, data, metadata, schema_version, occurred_at)
  SELECT v_first + e.n - 1, pg_current_xact_id(), (e.v ->> 'eventId')::uuid, p_stream_id, v_actual + e.n,
         e.v ->> 'type', e.v -> 'data', e.v -> 'metadata', (e.v ->> 'schemaVersion')::int,
         (e.v ->> 'occurredAt')::timestamptz
    FROM jsonb_array_elements(p_events) WITH ORDINALITY AS e(v, n);
  IF NOT v_created THEN
    UPDATE chirp_streams s SET revision = v_actual + v_count WHERE s.stream_id = p_stream_id;
  END IF;
  IF p_notify THEN
    PERFORM pg_notify('${EVENTS_CHANNEL}', (v_first + v_count - 1)::text);
  END IF;
  RETURN QUERY SELECT 'appended'::text, v_first + v_count - 1, v_actual + v_count, NULL::text;
END
$fn$`;
