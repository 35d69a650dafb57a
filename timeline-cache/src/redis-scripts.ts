import { createHash } from 'node:crypto';
import type { ChainableCommander, Redis } from 'ioredis';

/**
 * The Redis adapter's Lua scripts. Layout of one list (see redis-timeline-cache.ts):
 *   zset  <prefix>tl:<h|a>:{<id>}    one member per entry, scored by position:
 *                                       <t>   an original tweet (t = 22-character compact tweet id)
 *                                       <t>!  a retweet; its retweeter is in the hash
 *                                     plus '~' at +inf (header: the list exists; never trimmed)
 *                                     and  '.' at -1   (sentinel: the list is complete)
 *   hash  <prefix>tl:<h|a>:{<id>}:m  '~' = pulls as JSON; <t> = compact retweeter id, for <t>! members
 * Both keys always exist together with the same TTL; a list with only one of them (the other
 * evicted) is treated as missing. The '!' suffix tells which members have a hash field, so
 * trimming an original (most entries) costs no HDEL and a trimmed retweet always takes its field
 * along. Rank-based trimming removes the lowest scores first, so the sentinel goes exactly when
 * the first real entry is cut; a read that reaches it knows it reached the true end.
 *
 * Redis Cluster: all KEYS of one call must share a slot, so a cluster adapter would group each
 * chunk's lists by slot first; each list's two keys already share one through the {id} hash tag.
 */

const SHARED = `
-- Score of the oldest entry of an INCOMPLETE list (rank 0 is then an entry or the header).
local function lowest(z)
  local r = redis.call('ZRANGE', z, 0, 0, 'WITHSCORES')
  if r[1] == nil or r[1] == '~' then return nil end
  return tonumber(r[2])
end

local function isRetweet(member)
  return string.byte(member, -1) == 33 -- '!'
end

local function removeMember(z, h, member)
  redis.call('ZREM', z, member)
  if isRetweet(member) then redis.call('HDEL', h, string.sub(member, 1, -2)) end
end

-- Adds tweet t at posArg, as a retweet by rt unless rt is ''.
local function add(z, h, t, posArg, rt)
  if rt == '' then
    redis.call('ZADD', z, posArg, t)
  else
    redis.call('ZADD', z, posArg, t .. '!')
    redis.call('HSET', h, t, rt)
  end
end

-- Keeps the newest max entries; returns the removed members (the sentinel among them when the
-- list was complete), or nil.
local function trim(z, h, max, complete)
  local sentinel = complete and 1 or 0
  local extra = redis.call('ZCARD', z) - 1 - sentinel - max
  if extra <= 0 then return nil end
  local last = extra - 1 + sentinel
  local gone = redis.call('ZRANGE', z, 0, last)
  redis.call('ZREMRANGEBYRANK', z, 0, last)
  for k = 1, #gone do
    if isRetweet(gone[k]) then redis.call('HDEL', h, string.sub(gone[k], 1, -2)) end
  end
  return gone
end

local function contains(list, value)
  if list then
    for k = 1, #list do
      if list[k] == value then return true end
    end
  end
  return false
end
`;

/**
 * KEYS: z1, h1, z2, h2, …   ARGV: compact tweet id, position, compact retweeter or '', maxEntries.
 * Returns how many lists now hold this entry (the tweet at exactly this position).
 * The common case — a new tweet for a full incomplete list — costs four calls: ZMSCORE, one
 * ZRANGE that both finds the oldest entry and shows the list is exactly full, ZREM, ZADD.
 */
export const OFFER = `${SHARED}
local t, posArg, rt, max = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
local pos = tonumber(posArg)
local tr = t .. '!' -- built once, not per list: the loop runs for every list of a fan-out
local m = (rt == '') and t or tr
local held = 0
for i = 1, #KEYS, 2 do
  local z, h = KEYS[i], KEYS[i + 1]
  local s = redis.call('ZMSCORE', z, '~', '.', t, tr)
  -- A retweet needs the companion hash; without it the list is a half-evicted orphan: skip it
  -- rather than create a hash with no TTL.
  if s[1] and (rt == '' or redis.call('EXISTS', h) == 1) then
    local complete = s[2] ~= false
    local curMember, cur = t, s[3]
    if not cur then curMember, cur = tr, s[4] end
    if cur then
      cur = tonumber(cur)
      if pos == cur then
        held = held + 1
      elseif pos < cur then
        if complete or pos >= lowest(z) then
          if curMember ~= m then removeMember(z, h, curMember) end
          add(z, h, t, posArg, rt)
          held = held + 1
        else
          -- Its true place is below this incomplete list's gap: it does not belong in the slice.
          removeMember(z, h, curMember)
        end
      end
    elseif complete then
      add(z, h, t, posArg, rt)
      if not contains(trim(z, h, max, true), m) then held = held + 1 end
    else
      -- The element max + 1 from the top (the header is first) is the oldest entry exactly
      -- when the list holds max entries; two elements mean more (the cap was lowered).
      local r = redis.call('ZRANGE', z, -(max + 2), -(max + 1), 'WITHSCORES')
      if #r == 2 then
        if pos >= tonumber(r[2]) then
          removeMember(z, h, r[1])
          add(z, h, t, posArg, rt)
          held = held + 1
        end
      else
        local low = lowest(z)
        if low and pos >= low then
          add(z, h, t, posArg, rt)
          if #r == 0 or not contains(trim(z, h, max, false), m) then held = held + 1 end
        end
      end
    end
  end
end
return held
`;

/**
 * `offer` with `newest: true` (port.ts): the caller vouches that the entry is newer than every
 * other entry of these lists and that they hold no other entry of its tweet — a post or retweet
 * applied in position order, which the projection checks in SQL. Then none of OFFER's per-list
 * questions (which entry of the tweet is there, is the list complete, where is its gap) can change
 * the outcome, and a list costs one ZCARD (exists? how full?), one ZADD and, when full, one
 * ZPOPMIN of what the cap cuts: half of OFFER's calls, on fan-out's hottest path.
 * KEYS: z1, h1, z2, h2, …   ARGV: compact tweet id, position, compact retweeter or '', maxEntries.
 * Returns how many lists now hold this entry.
 */
export const OFFER_NEWEST = `
local t, posArg, rt, max = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
local m = (rt == '') and t or (t .. '!')
local held = 0
for i = 1, #KEYS, 2 do
  local z, h = KEYS[i], KEYS[i + 1]
  -- Members: the header, the sentinel if complete, the entries. 0: no list; 1: an empty
  -- incomplete list, which takes nothing (port.ts).
  local n = redis.call('ZCARD', z)
  if n > 1 and (rt == '' or redis.call('EXISTS', h) == 1) then
    n = n + redis.call('ZADD', z, posArg, m)
    if rt ~= '' then redis.call('HSET', h, t, rt) end
    held = held + 1
    -- More than max members below the header: pop the lowest. With the sentinel among them, one
    -- more than the cap cuts is popped (the sentinel counts as a member); a real entry cut takes
    -- the sentinel along anyway, and when only the sentinel went (a complete list exactly at the
    -- cap) it is put back.
    if n - 1 > max then
      local gone = redis.call('ZPOPMIN', z, n - 1 - max)
      if #gone == 2 and gone[1] == '.' then
        redis.call('ZADD', z, -1, '.')
      else
        for k = 1, #gone, 2 do
          if string.byte(gone[k], -1) == 33 then redis.call('HDEL', h, string.sub(gone[k], 1, -2)) end
        end
      end
    end
  end
end
return held
`;

/**
 * KEYS: z1, h1, …   ARGV: compact tweet id, compact onlyRetweetedBy or '', then per list two
 * values: replacement position or '' (none), compact replacement retweeter or ''.
 * Returns how many lists had the tweet's entry removed.
 */
export const WITHDRAW = `${SHARED}
local t, only = ARGV[1], ARGV[2]
local removed = 0
for i = 1, #KEYS, 2 do
  local z, h = KEYS[i], KEYS[i + 1]
  local s = redis.call('ZMSCORE', z, '~', '.', t, t .. '!')
  local member = (s[3] and t) or (s[4] and (t .. '!'))
  if s[1] and member and (only == '' or (s[4] and redis.call('HGET', h, t) == only)) then
    removeMember(z, h, member)
    removed = removed + 1
    local rposArg, rrt = ARGV[2 + i], ARGV[3 + i]
    if rposArg ~= '' then
      local complete = s[2] ~= false
      local low = (not complete) and lowest(z)
      if complete or (low and tonumber(rposArg) >= low) then
        -- One out, one in: the cap still holds, no trim needed.
        add(z, h, t, rposArg, rrt)
      end
    end
  end
end
return removed
`;

/**
 * KEYS: z1, h1, …   ARGV: ttl ms, max score (exclusive, e.g. '(123' or '(+inf'), fetch count, then
 * per list '1' to refresh its TTL or '0' (the adapter skips refreshes while 99% of the TTL is left).
 * Returns per list 0 when missing, else ONE string of three lines: the members and scores
 * ("m1 s1 m2 s2 …"), the retweeter of each '!' member in order ("r1 r2 …"), the pulls JSON.
 * One string, not nested arrays of ~45 strings: decoding the reply was the largest part of a
 * timeline read's client time, and none of these values contains a space or a newline.
 */
export const READ = `
local out = {}
for i = 1, #KEYS, 2 do
  local z, h = KEYS[i], KEYS[i + 1]
  if redis.call('EXISTS', z, h) == 2 then
    local items = redis.call('ZREVRANGEBYSCORE', z, ARGV[2], '-inf', 'WITHSCORES', 'LIMIT', 0, ARGV[3])
    local retweets = {}
    for k = 1, #items, 2 do
      if string.byte(items[k], -1) == 33 then retweets[#retweets + 1] = string.sub(items[k], 1, -2) end
    end
    local retweeters = {}
    for k = 1, #retweets, 1000 do
      local batch = redis.call('HMGET', h, unpack(retweets, k, math.min(k + 999, #retweets)))
      for r = 1, #batch do retweeters[#retweeters + 1] = batch[r] or '' end
    end
    if ARGV[3 + (i + 1) / 2] == '1' then
      redis.call('PEXPIRE', z, ARGV[1])
      redis.call('PEXPIRE', h, ARGV[1])
    end
    out[#out + 1] = table.concat(items, ' ') .. '\\n' .. table.concat(retweeters, ' ') .. '\\n' .. (redis.call('HGET', h, '~') or '[]')
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
