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
--   score    W k m ttl_ms ts1 x1 ts2 x2 ...    → {0} when the metric has no state (nothing applied),
--                                                else {1, seq, "z,alert,mean,std,n" per point}
--   stage    ttl_ms ts1 member1 ts2 member2 ... → 0 when the state exists already, else 1
--   install  ttl_ms T last_id ts1 member1 ...   → 0 when the state exists already, else 1
-- Floats go back as strings ("%.17g" round-trips): a Lua number in a reply becomes an integer.

local EPS = 2 ^ -52
local EPS3 = 3 * EPS
local TOL = 1e-11
local FLOOR_M2 = 1e-36
local FLOOR_S1 = 1e-20
local FLAT = 1e-9
local NONE = -math.huge

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
  local members = redis.call('ZRANGE', wkey, 0, -1)
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

local function evict(st, cutoff)
  local c = fmt(cutoff)
  local old = redis.call('ZRANGEBYSCORE', wkey, '-inf', c)
  redis.call('ZREMRANGEBYSCORE', wkey, '-inf', c)
  local a, s1, s2, e1, e2 = st.a, st.s1, st.s2, st.e1, st.e2
  for j = 1, #old do
    local d = value_of(old[j]) - a
    s1 = s1 - d
    s2 = s2 - d * d
    e1 = e1 + EPS * math.abs(s1)
    e2 = e2 + EPS * math.abs(s2)
  end
  st.s1, st.s2, st.e1, st.e2, st.fresh = s1, s2, e1, e2, false
  st.n = st.n - #old
  if st.n == 0 then
    zero(st)
  end
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

local function score(W, k, m, ttl)
  local st = load()
  if not st then
    return {0}
  end
  st.seq = st.seq + 1
  local out = {1, st.seq}
  local lowest = nil -- the window's smallest ts, looked up when unknown
  for i = 6, #ARGV, 2 do
    local ts_arg, x_arg = ARGV[i], ARGV[i + 1]
    local ts, x = tonumber(ts_arg), tonumber(x_arg)
    if ts > st.T then
      st.T = ts
    end
    local cutoff = st.T - W
    if st.n > 0 then
      if lowest == nil then
        lowest = tonumber(redis.call('ZRANGE', wkey, 0, 0, 'WITHSCORES')[2])
      end
      if lowest <= cutoff then
        evict(st, cutoff)
        lowest = nil
      end
    end
    local n = st.n
    local reply = ',0,,,0'
    if n > 0 then
      local mean, std, shift = baseline(st)
      local z, alert = '', '0'
      if ts > cutoff and n >= m then
        local tiny = FLAT * math.max(1.0, math.abs(mean))
        local deviation = (x - st.a) - shift
        if std == nil or std <= tiny then -- one point alone has no σ: a flat line too
          if math.abs(deviation) > tiny then
            alert = '1'
          end
        else
          local zscore = deviation / std
          z = fmt(zscore)
          if math.abs(zscore) >= k then
            alert = '1'
          end
        end
      end
      reply = z .. ',' .. alert .. ',' .. fmt(mean) .. ',' .. (std and fmt(std) or '') .. ',' .. n
    end
    if ts > cutoff then -- not too old: add it to the window
      st.id = st.id + 1
      redis.call('ZADD', wkey, ts_arg, string.format('%d', st.id) .. ':' .. x_arg)
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
      if lowest ~= nil and ts < lowest then
        lowest = ts
      end
    end
    out[#out + 1] = reply
  end
  save(st, ttl)
  return out
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
  local st = {T = tonumber(newest) or NONE, a = 0.0, n = n, id = tonumber(last_id), seq = 0}
  zero(st)
  if n > 0 then
    recompute(st)
  end
  save(st, ttl)
  return 1
end

local op = ARGV[1]
if op == 'score' then
  return score(tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[5])
elseif op == 'stage' then
  return stage(ARGV[2])
elseif op == 'install' then
  return install(ARGV[2], ARGV[3], ARGV[4])
end
return redis.error_reply('window.lua: unknown operation ' .. tostring(op))
