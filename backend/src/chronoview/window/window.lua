-- The rolling window of one metric (SPEC §4), applied atomically. window/redis.py loads this file
-- once and calls it with EVALSHA, once per metric per batch; it mirrors window/memory.py step by
-- step (running sums of d = x − a around an anchor a, with a bound on their rounding that triggers
-- a re-anchored recomputation from the window's members before it could matter).
--
-- KEYS[1]  cv:{metric}:w  ZSET, the window: score = ts, member = "<id>:<value>" (unique per point)
-- KEYS[2]  cv:{metric}:s  HASH: the window: W (the length it was built for), T (newest ts or
--                          "none"), a, s1 = Σd, s2 = Σd², e1, e2 (their rounding bounds), n
--                          (members), id (last member id);
--                          the incident state machine (SPEC §10, see "Incidents" below): ic, is,
--                          il, iv, iz, ia (pending count, first and last ts, peak value, z, |z|)
--                          and, while firing, oid, os, ol, ov, oz, on (the open incident)
-- KEYS[3]  cv:{metric}:q  STRING, the last seq handed out (SPEC §6); it never expires, and a
--                          rebuild raises it to at least the stored maximum (see `install`)
-- KEYS[4]  a staging ZSET for a rebuild (same hash tag)
--
-- ARGV[1] names the operation:
--   score    W k m cap ttl_ms direction for_points resolve_after enabled id_prefix points
--            (points: ts, x, ts, x, ... as little-endian binary doubles)
--            → {0} when the metric has no window, or one built for another W (nothing applied),
--              else {1, first_seq, records, changes}: the points' seqs are first_seq, first_seq + 1,
--              …, handed out in this same atomic call; records per point, packed little-endian z, mean,
--              std (NaN: none), n, alert, state (0 normal, 1 pending, 2 firing), pending count;
--              changes: one line per incident touched (see `change_line`); past `cap` members
--              (ALERT_WINDOW_MAX_POINTS) the oldest leave the window
--   stage    ttl_ms ts1 member1 ts2 member2 ...  → 0 when the window exists already, else 1
--   install  ttl_ms W T last_id incident last_seq margin ts1 member1 ...
--            → 0 when the window exists already, else 1; the seq counter becomes at least
--              last_seq, and last_seq + margin when it was gone (a flush: see `restore_seq`);
--              `incident` ("none" or the fields of `change_line` up to alert points) is
--              installed only when the hash has no
--              incident state of its own (a window rebuilt for a new W keeps it)
--   expire   ttl_ms now resolve_after → {0} when the hash has no state at all, else {1, changes}
-- Floats travel as binary doubles both ways (a Lua number in a reply would become an integer), and
-- they are stored as "%.17g" strings, which round-trip exactly (a rebuild's members carry Python's
-- repr: `value_of` reads either). Points travel in one string each way: thousands of RESP items,
-- or of number formattings, would cost more than the maths; until 2026-12 they came as
-- "ts,x ts,x ..." text, ~0.3 µs per point to format in Python and to match here.
--
-- Within one call, evicted members are only counted (`st.gone`): they are always the lowest-ranked
-- members (everything at or before the cutoff, and past the cap the oldest; see `add` for a late
-- point), so they are read a chunk at a time by rank and removed together at the end. A window at
-- its cap thus costs per point what one below it does: until 2026-12 each point over the cap was
-- popped on its own and dropped the read-ahead, ~5x the cost per point (bench/scoring.py).
--
-- A point newer than every point before it (ts > T) does not go to the ZSET at once: it waits in
-- the call's pending queue (`pend`), which thus holds points in strictly increasing ts order, all
-- above every member. Eviction takes the ZSET's members first, then the queue's head, which never
-- touches the ZSET: in a batch spanning more than the window, most points enter and leave within
-- the call and are never written (nor read back, nor removed). What is still pending is written
-- before a late or equal-stamp point (ts <= T) is added, and at the end; `recompute` reads it from
-- the queue.
-- Member ids count every point added, written or not, exactly as if each were.

local EPS = 2 ^ -52
local EPS3 = 3 * EPS
local TOL = 4e-10 -- as memory.py: σ to 2e-10 relative, a recompute every ~TOL/EPS updates
local FLOOR_M2 = 1e-36
local FLOOR_S1 = 1e-20
local FLAT = 1e-12 -- SPEC §4.5 (1e-9 until 2026-11-29)
local NONE = -math.huge
local CHUNK = 64 -- members read ahead for eviction
local ADDS = 1000 -- members added by one ZADD at most
local NAN = 0 / 0 -- "none" in a reply record
local RECORD = '<dddIBBB' -- a reply record: z, mean, std, n, alert, state, pending (as window/redis.py)

local wkey, skey, qkey = KEYS[1], KEYS[2], KEYS[3]
-- Library functions as upvalues: a global and a field lookup each saved, several times per point.
local abs, max, sqrt = math.abs, math.max, math.sqrt
local format, find, sub = string.format, string.find, string.sub
local pack, tonumber = struct.pack, tonumber

local function fmt(x)
  return format('%.17g', x)
end

local function value_of(member)
  return tonumber(sub(member, find(member, ':', 1, true) + 1))
end

local WINDOW_FIELDS = {'W', 'T', 'a', 's1', 's2', 'e1', 'e2', 'n', 'id'}

local function load(W)
  local h = redis.call('HMGET', skey, 'T', 'a', 's1', 's2', 'e1', 'e2', 'n', 'id', 'W')
  if not h[7] then
    return nil
  end
  if redis.call('EXISTS', qkey) == 0 then
    -- The seq counter alone was evicted: a rebuild restores it above what is stored.
    redis.call('DEL', wkey, skey)
    return nil
  end
  if tonumber(h[9]) ~= W then
    -- A rule changed the window's length: the caller rebuilds it from the database; the
    -- incident state stays.
    redis.call('DEL', wkey)
    redis.call('HDEL', skey, unpack(WINDOW_FIELDS))
    return nil
  end
  local st = {
    T = tonumber(h[1]) or NONE, a = tonumber(h[2]), s1 = tonumber(h[3]), s2 = tonumber(h[4]),
    e1 = tonumber(h[5]), e2 = tonumber(h[6]), n = tonumber(h[7]), id = tonumber(h[8]),
    W = W, fresh = false,
  }
  if redis.call('ZCARD', wkey) ~= st.n then
    -- Half the state is gone (evicted under maxmemory): let the caller rebuild it.
    redis.call('DEL', wkey, skey)
    return nil
  end
  return st
end

local function save(st, ttl)
  redis.call('HSET', skey, 'W', fmt(st.W), 'T', st.T == NONE and 'none' or fmt(st.T), 'a', fmt(st.a),
    's1', fmt(st.s1), 's2', fmt(st.s2), 'e1', fmt(st.e1), 'e2', fmt(st.e2),
    'n', format('%d', st.n), 'id', format('%d', st.id))
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
    if abs(s) >= abs(x) then
      c = c + ((s - t) + x)
    else
      c = c + ((x - t) + s)
    end
    s = t
    mag = mag + abs(x)
  end
  return s + c, mag
end

-- New members wait in `st.adds` and go in by one ZADD before anything reads the ZSET (or the call
-- ends): one command per chunk of points instead of one per point.
local function flush_adds(st)
  if #st.adds > 0 then
    redis.call('ZADD', wkey, unpack(st.adds))
    st.adds = {}
  end
end

-- The pending queue (see the header): parallel arrays of ts and value, entries `head` to `last`
-- still in the window, entry i with member id `id0 + i` (`score` appends to it; entries past
-- `last` are stale).
local function new_pend()
  return {ts = {}, x = {}, head = 1, last = 0, id0 = 0}
end

-- Write what is still pending to the ZSET (by `st.adds`), building the members only now.
local function flush_pend(st)
  local p = st.pend
  if p.last == 0 then
    return
  end
  local pts, pxs, id0 = p.ts, p.x, p.id0
  for i = p.head, p.last do
    local adds = st.adds
    adds[#adds + 1] = fmt(pts[i])
    adds[#adds + 1] = format('%d', id0 + i) .. ':' .. fmt(pxs[i])
    if #adds >= 2 * ADDS then
      flush_adds(st)
    end
  end
  p.head, p.last = 1, 0
end

-- Re-anchor at the mean and rebuild the sums from the members (the pending ones last: they rank
-- above every member).
local function recompute(st)
  flush_adds(st)
  local members = redis.call('ZRANGE', wkey, st.gone, -1)
  local n = #members
  local xs = {}
  for i = 1, n do
    xs[i] = value_of(members[i])
  end
  local p = st.pend
  if p and p.last > 0 then
    local px = p.x
    for i = p.head, p.last do
      n = n + 1
      xs[n] = px[i]
    end
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
  st.e1 = EPS * abs(s1) + n * EPS * EPS * m1
  st.e2 = EPS * abs(s2) + n * EPS * EPS * m2
  st.fresh = true
end

local function zero(st)
  st.s1, st.s2, st.e1, st.e2, st.fresh = 0.0, 0.0, 0.0, 0.0, true
end

-- Count members out, lowest-ranked first, while they are at or before the cutoff or the window
-- holds more than `cap` (ALERT_WINDOW_MAX_POINTS), reading them `CHUNK` at a time into `st.ahead`;
-- once the ZSET has none left, the pending queue's head leaves (never written: see the header).
-- `st.top` keeps the timestamp of the last member counted out (see `add`).
local function evict(st, cutoff, cap)
  local ahead, head = st.ahead, st.head
  local a, s1, s2, e1, e2, n, gone = st.a, st.s1, st.s2, st.e1, st.e2, st.n, st.gone
  local p = st.pend
  local first, pts, pxs = p.head, p.ts, p.x
  local pending = p.last - first + 1 -- the window's n members: the ZSET's, then these
  local evicted = false
  while n > 0 do
    local ts, x
    if n > pending then
      if head > #ahead then
        flush_adds(st)
        ahead = redis.call('ZRANGE', wkey, gone, gone + CHUNK - 1, 'WITHSCORES')
        head = 1
        if #ahead == 0 then
          break
        end
      end
      ts = tonumber(ahead[head + 1])
      if ts > cutoff and n <= cap then
        break
      end
      x = value_of(ahead[head])
      gone, head = gone + 1, head + 2
      st.top = ts
    else
      ts = pts[first]
      if ts > cutoff and n <= cap then
        break
      end
      x = pxs[first]
      first, pending = first + 1, pending - 1
    end
    local d = x - a
    s1 = s1 - d
    s2 = s2 - d * d
    e1 = e1 + EPS * abs(s1)
    e2 = e2 + EPS * abs(s2)
    n, evicted = n - 1, true
  end
  p.head = first
  st.ahead, st.head, st.n, st.gone = ahead, head, n, gone
  if evicted then
    st.s1, st.s2, st.e1, st.e2, st.fresh = s1, s2, e1, e2, false
    if n == 0 then
      zero(st)
    end
  end
end

-- Add a point no newer than every point before it (a newer one joins the pending queue in
-- `score`): write the queue, then the point's member (see `flush_adds`). Members counted out are
-- removed only at the end of the call, by rank, so they must stay the lowest-ranked: a member that
-- would rank among them (a late point once the cap counted out newer ones) removes them first.
-- The members read ahead keep their order; one landing among them makes them be read again.
local function add(st, ts, x)
  flush_pend(st)
  if st.gone > 0 and ts <= st.top then
    redis.call('ZREMRANGEBYRANK', wkey, 0, st.gone - 1)
    st.gone = 0
  end
  st.id = st.id + 1
  local adds = st.adds
  adds[#adds + 1] = fmt(ts)
  adds[#adds + 1] = format('%d', st.id) .. ':' .. fmt(x)
  if #adds >= 2 * ADDS then
    flush_adds(st)
  end
  local ahead = st.ahead
  if st.head <= #ahead and ts <= tonumber(ahead[#ahead]) then
    st.ahead, st.head = {}, 1
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
      std = sqrt(m2 / (n - 1))
    end
    if st.fresh then
      return mean, std, shift
    end
    local scale = max(1.0, abs(mean))
    if st.e2 + EPS3 * abs(st.s2) + 2 * abs(shift) * st.e1 <= TOL * m2 + FLOOR_M2 * scale * scale * n
        and st.e1 <= n * (TOL * (std or 0.0) + FLOOR_S1 * scale) then
      return mean, std, shift
    end
    recompute(st)
  end
end

-- Incidents (SPEC §10) -----------------------------------------------------------------------
-- The state machine of chronoview/alerting/incidents.py (Tracker), step for step, for scored
-- points only. It lives in the metric's hash beside the window, so the decision is taken in the
-- same atomic call as the score: two processes never open two incidents for one metric.

local INCIDENT_FIELDS = {'ic', 'is', 'il', 'iv', 'iz', 'ia', 'oid', 'os', 'ol', 'ov', 'oz', 'on'}
local NORMAL, PENDING, FIRING = 0, 1, 2

local function number_or_nil(text)
  if not text or text == 'none' then
    return nil
  end
  return tonumber(text)
end

local function fmt_or_none(x)
  if x == nil then
    return 'none'
  end
  return fmt(x)
end

local function load_incident()
  local h = redis.call('HMGET', skey, unpack(INCIDENT_FIELDS))
  local inc = {
    count = tonumber(h[1]) or 0, start = tonumber(h[2]) or 0, last = tonumber(h[3]) or 0,
    pv = tonumber(h[4]) or 0, pz = number_or_nil(h[5]), pa = tonumber(h[6]) or -1,
    present = h[1] ~= false, dirty = false, changes = {}, order = {}, opened = 0,
  }
  if h[7] then
    inc.open = {id = h[7], started = tonumber(h[8]), last = tonumber(h[9]), pv = tonumber(h[10]),
      pz = number_or_nil(h[11]), points = tonumber(h[12])}
  end
  return inc
end

local function save_incident(inc)
  if not inc.dirty then
    return
  end
  redis.call('HSET', skey, 'ic', format('%d', inc.count), 'is', fmt(inc.start),
    'il', fmt(inc.last), 'iv', fmt(inc.pv), 'iz', fmt_or_none(inc.pz), 'ia', fmt(inc.pa))
  local o = inc.open
  if o then
    redis.call('HSET', skey, 'oid', o.id, 'os', fmt(o.started), 'ol', fmt(o.last), 'ov', fmt(o.pv),
      'oz', fmt_or_none(o.pz), 'on', format('%d', o.points))
  else
    redis.call('HDEL', skey, 'oid', 'os', 'ol', 'ov', 'oz', 'on')
  end
end

-- Remember that this call touched incident `o` (and how): one change line each, in order.
local function touch(inc, o, opened, resolved)
  local change = inc.changes[o.id]
  if not change then
    change = {incident = o, opened = false, resolved = false}
    inc.changes[o.id] = change
    inc.order[#inc.order + 1] = o.id
  end
  change.opened = change.opened or opened
  change.resolved = change.resolved or resolved
  inc.dirty = true
end

-- "id started last peak_value peak_z alert_points resolved_at opened resolved", comma-separated.
local function change_line(change)
  local o = change.incident
  return table.concat({o.id, fmt(o.started), fmt(o.last), fmt(o.pv), fmt_or_none(o.pz),
    format('%d', o.points), fmt_or_none(o.resolved), change.opened and '1' or '0',
    change.resolved and '1' or '0'}, ',')
end

local function changes_text(inc)
  local lines = {}
  for i = 1, #inc.order do
    lines[i] = change_line(inc.changes[inc.order[i]])
  end
  return table.concat(lines, '\n')
end

local function resolve_if_due(inc, now, resolve_after)
  local o = inc.open
  if o and now >= o.last + resolve_after then
    o.resolved = o.last + resolve_after
    touch(inc, o, false, true)
    inc.open = nil
  end
end

-- One scored point (z is nil for a flat-line alert, whose size counts as infinite).
local function step(inc, ts, x, z, alert, for_points, resolve_after, id_prefix)
  resolve_if_due(inc, ts, resolve_after)
  local size = math.huge
  if z then
    size = abs(z)
  end
  local o = inc.open
  if o then
    if alert then
      o.points = o.points + 1
      if ts > o.last then
        o.last = ts
      end
      local peak = math.huge
      if o.pz then
        peak = abs(o.pz)
      end
      if size > peak then
        o.pv, o.pz = x, z
      end
      touch(inc, o, false, false)
    end
    return FIRING, 0
  end
  if not alert then
    if inc.count > 0 then
      inc.count, inc.dirty = 0, true
    end
    return NORMAL, 0
  end
  if inc.count == 0 then
    inc.start, inc.last, inc.pa = ts, ts, -1
  end
  inc.count = inc.count + 1
  inc.dirty = true
  if ts > inc.last then
    inc.last = ts
  end
  if size > inc.pa then
    inc.pv, inc.pz, inc.pa = x, z, size
  end
  if inc.count < for_points then
    return PENDING, inc.count
  end
  inc.open = {id = id_prefix .. format('%04x', inc.opened), started = inc.start,
    last = inc.last, pv = inc.pv, pz = inc.pz, points = inc.count}
  inc.opened = inc.opened + 1
  inc.count = 0
  touch(inc, inc.open, true, false)
  return FIRING, 0
end

-- Scoring (SPEC §4) ---------------------------------------------------------------------------

local function score(W, k, m, cap, ttl, direction, for_points, resolve_after, enabled, id_prefix, packed)
  local st = load(W)
  if not st then
    return {0}
  end
  local inc = load_incident()
  -- Which sign of z alerts: +1 above, -1 below, 0 both; a disabled rule never alerts.
  local sign = 0
  if direction == 'above' then
    sign = 1
  elseif direction == 'below' then
    sign = -1
  end
  st.gone, st.ahead, st.head, st.top, st.adds, st.pend = 0, {}, 1, NONE, {}, new_pend()
  local pend = st.pend
  local pts, pxs = pend.ts, pend.x
  local out, count = {}, 0
  local unpack_point = struct.unpack
  local at = 1
  for _ = 1, #packed / 16 do
    local ts, x
    ts, x, at = unpack_point('<dd', packed, at)
    local newest = ts > st.T -- above every member and every pending point
    if newest then
      st.T = ts
    end
    local cutoff = st.T - W
    evict(st, cutoff, cap)
    local n = st.n
    local z, mean, std, alert = NAN, NAN, NAN, 0
    local state, pending = NORMAL, 0 -- the incident state before the point, and its pending count
    if inc.open then
      state = FIRING
    elseif inc.count > 0 then
      state, pending = PENDING, inc.count
    end
    if n > 0 then
      local sd, shift
      mean, sd, shift = baseline(st)
      std = sd or NAN
      if ts > cutoff and n >= m then
        local tiny = FLAT * max(1.0, abs(mean))
        local deviation = (x - st.a) - shift
        local zscore = nil
        local alerting = false
        if sd == nil or sd <= tiny then -- one point alone has no σ: a flat line too
          alerting = abs(deviation) > tiny and (sign == 0 or sign * deviation > 0)
        else
          zscore = deviation / sd
          z = zscore
          if sign == 0 then
            alerting = abs(zscore) >= k
          else
            alerting = sign * zscore >= k
          end
        end
        alerting = alerting and enabled
        if alerting then
          alert = 1
        end
        if alerting or inc.open or inc.count > 0 then
          state, pending = step(inc, ts, x, zscore, alerting, for_points, resolve_after, id_prefix)
        end
      end
    end
    count = count + 1
    out[count] = pack(RECORD, z, mean, std, n, alert, state, pending)
    if ts > cutoff then -- not too old: add it to the window
      if newest then -- to the pending queue (see the header)
        local i = pend.last + 1
        if i == 1 then
          pend.id0 = st.id
        end
        st.id = st.id + 1
        pts[i], pxs[i], pend.last = ts, x, i
      else
        add(st, ts, x)
      end
      if n == 0 then -- an empty window starts over, exactly, anchored at its first value
        st.a = x
        zero(st)
      else
        local d = x - st.a
        st.s1 = st.s1 + d
        st.s2 = st.s2 + d * d
        st.e1 = st.e1 + EPS * abs(st.s1)
        st.e2 = st.e2 + EPS * abs(st.s2)
        st.fresh = false
      end
      st.n = n + 1
      if st.n > cap then
        evict(st, cutoff, cap)
      end
    end
  end
  flush_pend(st)
  flush_adds(st)
  if st.gone > 0 then
    redis.call('ZREMRANGEBYRANK', wkey, 0, st.gone - 1)
  end
  save(st, ttl)
  save_incident(inc)
  local last_seq = redis.call('INCRBY', qkey, count)
  return {1, last_seq - count + 1, table.concat(out), changes_text(inc)}
end

local function expire(ttl, now, resolve_after)
  if redis.call('EXISTS', skey) == 0 then
    return {0}
  end
  local inc = load_incident()
  if not inc.present then
    return {0}
  end
  resolve_if_due(inc, now, resolve_after)
  save_incident(inc)
  redis.call('PEXPIRE', skey, ttl)
  return {1, changes_text(inc)}
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
  if redis.call('HEXISTS', skey, 'n') == 1 then
    return 0
  end
  zadd_pairs(KEYS[4], 3)
  redis.call('PEXPIRE', KEYS[4], ttl)
  return 1
end

-- "none", or "id,started,last,peak_value,peak_z,alert_points" of the open incident.
local function install_incident(spec)
  if redis.call('HEXISTS', skey, 'ic') == 1 then -- the hash kept its own (a rebuild for a new W)
    return
  end
  local inc = load_incident()
  inc.dirty = true
  if spec ~= 'none' then
    local f = {}
    for part in string.gmatch(spec, '[^,]+') do
      f[#f + 1] = part
    end
    inc.open = {id = f[1], started = tonumber(f[2]), last = tonumber(f[3]), pv = tonumber(f[4]),
      pz = number_or_nil(f[5]), points = tonumber(f[6])}
  end
  save_incident(inc)
end

-- The seq counter after a rebuild: never below last_seq (the highest seq stored or passed). When
-- the counter itself is gone (Redis flushed), other processes may still hold numbers it handed out
-- that are not stored yet; restarting at last_seq would hand them out twice, so it restarts
-- `margin` above (the gap is released as any missing seq is: readers pass it).
local function restore_seq(last_seq, margin)
  local q = tonumber(redis.call('GET', qkey))
  if q == nil then
    if last_seq > 0 then
      last_seq = last_seq + margin
    end
    redis.call('SET', qkey, format('%d', last_seq))
  elseif q < last_seq then
    redis.call('SET', qkey, format('%d', last_seq))
  end
end

local function install(ttl, W, newest, last_id, incident, last_seq, margin)
  restore_seq(last_seq, margin)
  if redis.call('HEXISTS', skey, 'n') == 1 then -- another process rebuilt it first
    redis.call('DEL', KEYS[4])
    return 0
  end
  zadd_pairs(KEYS[4], 9)
  redis.call('DEL', wkey)
  local n = redis.call('ZCARD', KEYS[4])
  if n > 0 then
    redis.call('RENAME', KEYS[4], wkey)
  end
  local st = {T = tonumber(newest) or NONE, a = 0.0, n = n, id = tonumber(last_id), gone = 0, adds = {},
    W = tonumber(W)}
  zero(st)
  if n > 0 then
    recompute(st)
  end
  save(st, ttl)
  install_incident(incident)
  return 1
end

local op = ARGV[1]
if op == 'score' then
  return score(tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]), ARGV[6],
    ARGV[7], tonumber(ARGV[8]), tonumber(ARGV[9]), ARGV[10] == '1', ARGV[11], ARGV[12])
elseif op == 'stage' then
  return stage(ARGV[2])
elseif op == 'install' then
  return install(ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], tonumber(ARGV[7]), tonumber(ARGV[8]))
elseif op == 'expire' then
  return expire(ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]))
end
return redis.error_reply('window.lua: unknown operation ' .. tostring(op))
