-- One check for one key, atomically: expire what left each sliding window, decide, and charge
-- every window and the credits only when all of them allow (all or nothing).
--
-- KEYS[1]      the key's credits: a hash, r = remaining, p = start of the refill period (s)
-- KEYS[2..]    one sorted set per rate limit: members "MS:COST" scored MS (requests in the same
--              millisecond share one), and member "u" scored minus the total cost in the window
-- ARGV         now (ms), cost, has credits (0/1), initial, refill amount (0: none), period start
--              now (s), credits TTL (ms), then limit and window (ms) for each rate limit
--
-- Returns: allowed (0/1), has credits, credits allowed, credits remaining, credits period start,
-- then for each rate limit: allowed, remaining, reset (ms), retry after (ms, -1: never).
-- Lua numbers are doubles: every value stays below 2^53 (the Rust side checks its arguments),
-- and numbers go back to Redis through '%.0f', exact where tostring is not.

local now = tonumber(ARGV[1])
local cost = tonumber(ARGV[2])
local function s(n) return string.format('%.0f', n) end
local function cost_of(member) return tonumber(string.match(member, ':(%d+)$')) or 0 end

local n = #KEYS - 1
local used, limits, periods, fits, latest = {}, {}, {}, {}, {}
local all = true
for i = 1, n do
  local key = KEYS[i + 1]
  local limit = tonumber(ARGV[6 + 2 * i])
  local period = tonumber(ARGV[7 + 2 * i])
  limits[i], periods[i] = limit, period
  local u = 0
  local total = redis.call('ZSCORE', key, 'u')
  if total then
    u = -tonumber(total)
  else
    for _, m in ipairs(redis.call('ZRANGEBYSCORE', key, '(0', '+inf')) do u = u + cost_of(m) end
  end
  -- A request at T leaves the window at T + period (as in the in-process limiter).
  local cutoff = s(now - period)
  local gone = redis.call('ZRANGEBYSCORE', key, '(0', cutoff)
  if #gone > 0 then
    for _, m in ipairs(gone) do u = u - cost_of(m) end
    redis.call('ZREMRANGEBYSCORE', key, '(0', cutoff)
  end
  if u < 0 then u = 0 end
  used[i] = u
  -- The newest request still in the window ("u" scores 0 or less, requests more).
  local top = redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')
  if #top == 2 and tonumber(top[2]) > 0 then latest[i] = tonumber(top[2]) else latest[i] = 0 end
  fits[i] = u + cost <= limit
  if not fits[i] then all = false end
end

local has_credits = ARGV[3] == '1'
local credit_ok, remaining, pstart, changed = true, 0, 0, false
if has_credits then
  local initial, amount, start = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
  local st = redis.call('HMGET', KEYS[1], 'r', 'p')
  if st[1] and st[2] then
    remaining, pstart = tonumber(st[1]), tonumber(st[2])
    if not remaining or not pstart then
      return redis.error_reply('keyward: a credits record holds something other than numbers')
    end
  else
    remaining, changed = initial, true
    if amount > 0 then pstart = start end
  end
  if amount > 0 and start > pstart then remaining, pstart, changed = amount, start, true end
  credit_ok = remaining >= cost
  if not credit_ok then all = false end
end

local charge = all and cost > 0
if has_credits then
  if charge then remaining, changed = remaining - cost, true end
  if changed then redis.call('HSET', KEYS[1], 'r', s(remaining), 'p', s(pstart)) end
  -- Refreshed on every check, refused ones too: a key kept at 0 must not expire into credits.
  redis.call('PEXPIRE', KEYS[1], ARGV[7])
end

local out = { all and 1 or 0, has_credits and 1 or 0, credit_ok and 1 or 0, remaining, pstart }
for i = 1, n do
  local key, limit, period, u = KEYS[i + 1], limits[i], periods[i], used[i]
  if charge then
    local c = cost
    -- Only a request as new as this one can share its millisecond.
    if latest[i] >= now then
      for _, m in ipairs(redis.call('ZRANGEBYSCORE', key, s(now), s(now))) do
        c = c + cost_of(m)
        redis.call('ZREM', key, m)
      end
    end
    redis.call('ZADD', key, s(now), s(now) .. ':' .. s(c))
    u = u + cost
    latest[i] = math.max(latest[i], now)
  end
  local reset = 0
  if latest[i] > 0 then reset = math.max(latest[i] + period - now, 0) end
  if u > 0 then
    redis.call('ZADD', key, s(-u), 'u')
    redis.call('PEXPIRE', key, s(reset + 1000))
  else
    redis.call('DEL', key)
  end
  local retry = -1
  if not fits[i] and cost <= limit then
    -- The oldest requests leave first: wait until enough of them have.
    local needed, freed, offset = u + cost - limit, 0, 0
    retry = period
    local found = false
    while not found do
      local batch = redis.call('ZRANGEBYSCORE', key, '(0', '+inf', 'WITHSCORES', 'LIMIT', offset, 128)
      if #batch == 0 then break end
      for j = 1, #batch, 2 do
        freed = freed + cost_of(batch[j])
        if freed >= needed then
          retry = math.max(tonumber(batch[j + 1]) + period - now, 0)
          found = true
          break
        end
      end
      offset = offset + 128
    end
  end
  local left = 0
  if fits[i] then left = limit - u end
  out[#out + 1] = fits[i] and 1 or 0
  out[#out + 1] = left
  out[#out + 1] = reset
  out[#out + 1] = retry
end
return out
