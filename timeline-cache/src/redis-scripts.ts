import { createHash } from 'node:crypto';
import type { ChainableCommander, Redis } from 'ioredis';

/**
 * The Redis adapter's Lua scripts. Layout of one list (see redis-timeline-cache.ts):
 *   zset  <prefix>tl:<h|a>:{<id>}    members = compact tweet ids scored by position, plus
 *                                     '~' at +inf  (header: the list exists; never trimmed)
 *                                     '.' at -1    (sentinel: the list is complete)
 *   hash  <prefix>tl:<h|a>:{<id>}:m  '~' = pulls as JSON; <compact tweet id> = compact retweeter
 *                                     id, for entries that are retweets only
 * Both keys always exist together with the same TTL; a list with only one of them (the other
 * evicted) is treated as missing. Rank-based trimming removes the lowest scores first, so the
 * sentinel goes exactly when the first real entry is cut; a read that reaches it knows it reached
 * the true end.
 */

const SHARED = `
-- Score of the oldest real entry of an INCOMPLETE list (rank 0 is then an entry or the header).
local function lowest(z)
  local r = redis.call('ZRANGE', z, 0, 0, 'WITHSCORES')
  if r[1] == nil or r[1] == '~' then return nil end
  return tonumber(r[2])
end

local function setRetweeter(z, h, m, rt)
  if rt == '' then
    redis.call('HDEL', h, m)
  else
    redis.call('HSET', h, m, rt)
  end
end

-- Keeps the newest max real entries; returns the removed members (the sentinel among them when
-- the list was complete), or nil. Companion hash fields of removed members go too.
local function trim(z, h, max, complete)
  local sentinel = complete and 1 or 0
  local extra = redis.call('ZCARD', z) - 1 - sentinel - max
  if extra <= 0 then return nil end
  local last = extra - 1 + sentinel
  local gone = redis.call('ZRANGE', z, 0, last)
  redis.call('ZREMRANGEBYRANK', z, 0, last)
  for i = 1, #gone, 1000 do
    redis.call('HDEL', h, unpack(gone, i, math.min(i + 999, #gone)))
  end
  return gone
end
`;

/**
 * KEYS: z1, h1, z2, h2, …   ARGV: member, position, compact retweeter or '', maxEntries.
 * Returns how many lists now hold the member at exactly this position.
 * (Redis Cluster: all KEYS of one call must share a slot, so a cluster adapter would group each
 * chunk's lists by slot first; each list's two keys already share one through the {id} hash tag.)
 */
export const OFFER = `${SHARED}
local m, posArg, rt, max = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
local pos = tonumber(posArg)
local held = 0
for i = 1, #KEYS, 2 do
  local z, h = KEYS[i], KEYS[i + 1]
  local s = redis.call('ZMSCORE', z, '~', '.', m)
  -- A retweet needs the companion hash; without it the list is a half-evicted orphan: skip it
  -- rather than create a hash with no TTL.
  if s[1] and (rt == '' or redis.call('EXISTS', h) == 1) then
    local complete, cur = s[2] ~= false, s[3]
    if cur then
      cur = tonumber(cur)
      if pos == cur then
        held = held + 1
      elseif pos < cur then
        if complete or pos >= lowest(z) then
          redis.call('ZADD', z, posArg, m)
          setRetweeter(z, h, m, rt)
          held = held + 1
        else
          -- Its true place is below this incomplete list's gap: it does not belong in the slice.
          redis.call('ZREM', z, m)
          redis.call('HDEL', h, m)
        end
      end
    else
      local low = (not complete) and lowest(z)
      if complete or (low and pos >= low) then
        redis.call('ZADD', z, posArg, m)
        if rt ~= '' then redis.call('HSET', h, m, rt) end
        local gone = trim(z, h, max, complete)
        local cut = false
        if gone then
          for k = 1, #gone do
            if gone[k] == m then cut = true end
          end
        end
        if not cut then held = held + 1 end
      end
    end
  end
end
return held
`;

/**
 * KEYS: z1, h1, …   ARGV: member, compact onlyRetweetedBy or '', then per list two values:
 * replacement position or '' (none), compact replacement retweeter or ''.
 * Returns how many lists had the member removed.
 */
export const WITHDRAW = `${SHARED}
local m, only = ARGV[1], ARGV[2]
local removed = 0
for i = 1, #KEYS, 2 do
  local z, h = KEYS[i], KEYS[i + 1]
  local s = redis.call('ZMSCORE', z, '~', '.', m)
  if s[1] and s[3] and (only == '' or redis.call('HGET', h, m) == only) then
    redis.call('ZREM', z, m)
    redis.call('HDEL', h, m)
    removed = removed + 1
    local rposArg, rrt = ARGV[2 + i], ARGV[3 + i]
    if rposArg ~= '' then
      local complete = s[2] ~= false
      local low = (not complete) and lowest(z)
      if complete or (low and tonumber(rposArg) >= low) then
        -- One out, one in: the cap still holds, no trim needed.
        redis.call('ZADD', z, rposArg, m)
        setRetweeter(z, h, m, rrt)
      end
    end
  end
end
return removed
`;

/**
 * KEYS: z1, h1, …   ARGV: ttl ms, max score (exclusive, e.g. '(123' or '(+inf'), fetch count.
 * Returns per list 0 when missing, else { {member, score, …}, {pulls JSON, retweeter|false, …} }.
 */
export const READ = `
local out = {}
for i = 1, #KEYS, 2 do
  local z, h = KEYS[i], KEYS[i + 1]
  if redis.call('EXISTS', z, h) == 2 then
    local items = redis.call('ZREVRANGEBYSCORE', z, ARGV[2], '-inf', 'WITHSCORES', 'LIMIT', 0, ARGV[3])
    local meta = { redis.call('HGET', h, '~') }
    local batch = {}
    for k = 1, #items, 2 do
      batch[#batch + 1] = items[k]
      if #batch == 1000 or k + 1 >= #items then
        local rts = redis.call('HMGET', h, unpack(batch))
        for r = 1, #batch do meta[#meta + 1] = rts[r] end
        batch = {}
      end
    end
    redis.call('PEXPIRE', z, ARGV[1])
    redis.call('PEXPIRE', h, ARGV[1])
    out[#out + 1] = { items, meta }
  else
    -- Half a list (the other key evicted) is useless: delete it, the list reads as missing.
    redis.call('DEL', z, h)
    out[#out + 1] = 0
  end
end
return out
`;

/** A Lua script run by EVALSHA, loaded on first use and again after a NOSCRIPT (server restart, SCRIPT FLUSH). */
export class LuaScript {
  readonly sha: string;
  constructor(readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  async load(redis: Redis): Promise<void> {
    const sha = await redis.script('LOAD', this.source);
    if (sha !== this.sha) throw new Error(`Redis returned SHA ${String(sha)} for a script whose SHA1 is ${this.sha}`);
  }

  async run(redis: Redis, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    try {
      return await redis.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      await this.load(redis);
      return redis.evalsha(this.sha, keys.length, ...keys, ...args);
    }
  }

  /** Queues the call on a pipeline (the caller loads the script first). */
  queue(pipeline: ChainableCommander, keys: readonly string[], args: readonly (string | number)[]): void {
    pipeline.evalsha(this.sha, keys.length, ...keys, ...args);
  }
}
