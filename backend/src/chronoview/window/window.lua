-- The rolling window of one metric (SPEC §4), applied atomically. window/redis.py loads this file
-- once and calls it with EVALSHA, once per metric per batch; it mirrors window/memory.py step by
-- step (running sums of d = x − a around an anchor a, with a bound on their rounding that triggers
-- a re-anchored recomputation from the window's members before it could matter).
--
-- KEYS[1]  cv:{metric}:w  ZSET, the window: score = ts, member = "<id>:<value>" (unique per point)
-- KEYS[2]  cv:{metric}:s  HASH: T (newest ts or "none"), a, s1 = Σd, s2 = Σd², e1, e2 (their
--                          rounding bounds), n (members), id (last member id), seq (batches applied)
-- KEYS[3]  a staging ZSET for a rebuild (same hash tag)
--
-- ARGV[1] names the operation:
--   score    W k m cap ttl_ms "ts,x ts,x ..."  → {0} when the metric has no state (nothing applied),
--                                                else {1, seq, records}: per point, packed
--                                                little-endian z, mean, std (NaN: none), n, alert
--   stage    ttl_ms ts1 member1 ts2 member2 ... → 0 when the state exists already, else 1
--   install  ttl_ms T last_id ts1 member1 ...   → 0 when the state exists already, else 1
-- Floats go back packed as binary doubles (a Lua number in a reply would become an integer), and
-- they are stored as "%.17g" strings, which round-trip exactly. Points travel in one string each
-- way: thousands of RESP items, or of number formattings, would cost more than the maths.
--
-- Within one call, evicted members are only counted (`st.gone`): they are always the lowest-ranked
-- members (everything at or before the cutoff, and nothing added since is), so they are read a
-- chunk at a time by rank and removed together at the end.

local EPS = 2 ^ -52
local EPS3 = 3 * EPS
local TOL = 4e-10 -- as memory.py: σ to 2e-10 relative, a recompute every ~TOL/EPS updates
local FLOOR_M2 = 1e-36
local FLOOR_S1 = 1e-20
local FLAT = 1e-9
local NONE = -math.huge
local CHUNK = 64 -- members read ahead for eviction
local NAN = 0 / 0 -- "none" in a reply record
local RECORD = '<dddIB' -- a reply record: z, mean, std, n, alert (window/redis.py reads the same)

local wkey, skey = KEYS[1], KEYS[2]

local function fmt(x)
  return string.format('%.17g', x)
end

local function value_of(member)
  return tonumber(string.sub(member, string.find(member, ':', 1, true) + 1))
end

local function load()
  local h = redis.call('HMGET', skey, 'T', 'a', 's1', 's2', 'e1', 'e2', 'n', 'id', 'seq')
  if not h[7] then
    return nil
  end
  local st = {
    T = tonumber(h[1]) or NONE, a = tonumber(h[2]), s1 = tonumber(h[3]), s2 = tonumber(h[4]),
    e1 = tonumber(h[5]), e2 = tonumber(h[6]), n = tonumber(h[7]), id = tonumber(h[8]),
    seq = tonumber(h[9]), fresh = false,
  }
  if redis.call('ZCARD', wkey) ~= st.n then
    -- Half the state is gone (evicted under maxmemory): let the caller rebuild it.
    redis.call('DEL', wkey, skey)
    return nil
  end
  return st
end

local function save(st, ttl)
  redis.call('HSET', skey, 'T', st.T == NONE and 'none' or fmt(st.T), 'a', fmt(st.a),
    's1', fmt(st.s1), 's2', fmt(st.s2), 'e1', fmt(st.e1), 'e2', fmt(st.e2),
    'n', string.format('%d', st.n), 'id', string.format('%d', st.id), 'seq', string.format('%d', st.seq))
  redis.call('PEXPIRE', skey, ttl)
  if st.n > 0 then
    redis.call('PEXPIRE', wkey, ttl)
  end
end

-- Neumaier summation: error within 2u·|sum| + n·u²·Σ|x|; returns the sum and Σ|x|.
local function nsum(xs)
  local s, c, mag = 0.0, 0.0, 0.0
  for i = 1, #xs do
    local x = xs[i]
    local t = s + x
    if math.abs(s) >= math.abs(x) then
      c = c + ((s - t) + x)
    else
      c = c + ((x - t) + s)
    end
    s = t
    mag = mag + math.abs(x)
  end
  return s + c, mag
end

-- Re-anchor at the mean and rebuild the sums from the members.
local function recompute(st)
  local members = redis.call('ZRANGE', wkey, st.gone, -1)
  local n = #members
  local xs = {}
  for i = 1, n do
    xs[i] = value_of(members[i])
  end
  local a = nsum(xs) / n
  local ds, qs = {}, {}
  for i = 1, n do
    local d = xs[i] - a
    ds[i] = d
    qs[i] = d * d
  end
  local s1, m1 = nsum(ds)
  local s2, m2 = nsum(qs)
  st.a, st.s1, st.s2 = a, s1, s2
  st.e1 = EPS * math.abs(s1) + n * EPS * EPS * m1
  st.e2 = EPS * math.abs(s2) + n * EPS * EPS * m2
  st.fresh = true
end

local function zero(st)
  st.s1, st.s2, st.e1, st.e2, st.fresh = 0.0, 0.0, 0.0, 0.0, true
end

-- Evict members with ts <= cutoff, lowest first, from the read-ahead buffer `st.ahead`.
local function evict(st, cutoff)
  local ahead, head = st.ahead, st.head
  local a, s1, s2, e1, e2, n, gone = st.a, st.s1, st.s2, st.e1, st.e2, st.n, st.gone
  local evicted = false
  while n > 0 do
    if head > #ahead then
      ahead = redis.call('ZRANGE', wkey, gone, gone + CHUNK - 1, 'WITHSCORES')
      head = 1
      if #ahead == 0 then
        break
      end
    end
    if tonumber(ahead[head + 1]) > cutoff then
      break
    end
    local d = value_of(ahead[head]) - a
    s1 = s1 - d
    s2 = s2 - d * d
    e1 = e1 + EPS * math.abs(s1)
    e2 = e2 + EPS * math.abs(s2)
    n, gone, head, evicted = n - 1, gone + 1, head + 2, true
  end
  st.ahead, st.head, st.n, st.gone = ahead, head, n, gone
  if evicted then
    st.s1, st.s2, st.e1, st.e2, st.fresh = s1, s2, e1, e2, false
    if n == 0 then
      zero(st)
    end
  end
end

-- ALERT_WINDOW_MAX_POINTS: past `cap` members the lowest-ranked (oldest) leave at once. The members
-- counted in `st.gone` are removed first, so that ranks stay what the rest of the call expects.
local function trim(st, cap)
  if st.gone > 0 then
    redis.call('ZREMRANGEBYRANK', wkey, 0, st.gone - 1)
    st.gone = 0
  end
  st.ahead, st.head = {}, 1
  local popped = redis.call('ZPOPMIN', wkey, st.n - cap)
  for i = 1, #popped, 2 do
    local d = value_of(popped[i]) - st.a
    st.s1 = st.s1 - d
    st.s2 = st.s2 - d * d
    st.e1 = st.e1 + EPS * math.abs(st.s1)
    st.e2 = st.e2 + EPS * math.abs(st.s2)
  end
  st.n = cap
  st.fresh = false
end

-- (mean, std or nil, shift = mean − a), recomputing first if rounding may have reached them.
local function baseline(st)
  local n = st.n
  for _ = 1, 2 do
    local shift = st.s1 / n
    local m2 = st.s2 - st.s1 * shift
    if m2 < 0 then
      m2 = 0.0
    end
    local mean = st.a + shift
    local std = nil
    if n > 1 then
      std = math.sqrt(m2 / (n - 1))
    end
    if st.fresh then
      return mean, std, shift
    end
    local scale = math.max(1.0, math.abs(mean))
    if st.e2 + EPS3 * math.abs(st.s2) + 2 * math.abs(shift) * st.e1 <= TOL * m2 + FLOOR_M2 * scale * scale * n
        and st.e1 <= n * (TOL * (std or 0.0) + FLOOR_S1 * scale) then
      return mean, std, shift
    end
    recompute(st)
  end
end

local function score(W, k, m, cap, ttl, packed)
  local st = load()
  if not st then
    return {0}
  end
  st.seq = st.seq + 1
  st.gone, st.ahead, st.head = 0, {}, 1
  local out = {}
  for ts_arg, x_arg in string.gmatch(packed, '([^ ,]+),([^ ]+)') do
    local ts, x = tonumber(ts_arg), tonumber(x_arg)
    if ts > st.T then
      st.T = ts
    end
    local cutoff = st.T - W
    evict(st, cutoff)
    local n = st.n
    local z, mean, std, alert = NAN, NAN, NAN, 0
    if n > 0 then
      local sd, shift
      mean, sd, shift = baseline(st)
      std = sd or NAN
      if ts > cutoff and n >= m then
        local tiny = FLAT * math.max(1.0, math.abs(mean))
        local deviation = (x - st.a) - shift
        if sd == nil or sd <= tiny then -- one point alone has no σ: a flat line too
          if math.abs(deviation) > tiny then
            alert = 1
          end
        else
          z = deviation / sd
          if math.abs(z) >= k then
            alert = 1
          end
        end
      end
    end
    out[#out + 1] = struct.pack(RECORD, z, mean, std, n, alert)
    if ts > cutoff then -- not too old: add it to the window
      st.id = st.id + 1
      redis.call('ZADD', wkey, ts_arg, string.format('%d', st.id) .. ':' .. x_arg)
      local ahead = st.ahead
      if st.head <= #ahead and ts <= tonumber(ahead[#ahead]) then
        st.ahead, st.head = {}, 1 -- it lands among the members read ahead: read them again
      end
      if n == 0 then -- an empty window starts over, exactly, anchored at its first value
        st.a = x
        zero(st)
      else
        local d = x - st.a
        st.s1 = st.s1 + d
        st.s2 = st.s2 + d * d
        st.e1 = st.e1 + EPS * math.abs(st.s1)
        st.e2 = st.e2 + EPS * math.abs(st.s2)
        st.fresh = false
      end
      st.n = n + 1
      if st.n > cap then
        trim(st, cap)
      end
    end
  end
  if st.gone > 0 then
    redis.call('ZREMRANGEBYRANK', wkey, 0, st.gone - 1)
  end
  save(st, ttl)
  return {1, st.seq, table.concat(out)}
end

-- ZADD the (ts, member) pairs of ARGV[first..], a thousand at a time (unpack has a limit).
local function zadd_pairs(key, first)
  local batch = {}
  for i = first, #ARGV, 2 do
    batch[#batch + 1] = ARGV[i]
    batch[#batch + 1] = ARGV[i + 1]
    if #batch >= 2000 then
      redis.call('ZADD', key, unpack(batch))
      batch = {}
    end
  end
  if #batch > 0 then
    redis.call('ZADD', key, unpack(batch))
  end
end

local function stage(ttl)
  if redis.call('EXISTS', skey) == 1 then
    return 0
  end
  zadd_pairs(KEYS[3], 3)
  redis.call('PEXPIRE', KEYS[3], ttl)
  return 1
end

local function install(ttl, newest, last_id)
  if redis.call('EXISTS', skey) == 1 then -- another process rebuilt it first
    redis.call('DEL', KEYS[3])
    return 0
  end
  zadd_pairs(KEYS[3], 5)
  redis.call('DEL', wkey)
  local n = redis.call('ZCARD', KEYS[3])
  if n > 0 then
    redis.call('RENAME', KEYS[3], wkey)
  end
  local st = {T = tonumber(newest) or NONE, a = 0.0, n = n, id = tonumber(last_id), seq = 0, gone = 0}
  zero(st)
  if n > 0 then
    recompute(st)
  end
  save(st, ttl)
  return 1
end

local op = ARGV[1]
if op == 'score' then
  return score(tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]), ARGV[6], ARGV[7])
elseif op == 'stage' then
  return stage(ARGV[2])
elseif op == 'install' then
  return install(ARGV[2], ARGV[3], ARGV[4])
end
return redis.error_reply('window.lua: unknown operation ' .. tostring(op))
