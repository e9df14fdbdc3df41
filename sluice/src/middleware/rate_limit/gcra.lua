-- sluice rate limit: GCRA over one or more policies, decided and updated
-- atomically, on Redis's clock (so the clocks of the app instances never
-- matter).
--
-- KEYS[i]       the theoretical arrival time (TAT) of the client under
--               policy i, in microseconds of Redis's clock; all keys carry
--               the same hash tag.
-- ARGV[2i - 1]  the policy's interval (window / quota), in microseconds.
-- ARGV[2i]      its capacity (quota * interval), in microseconds.
--
-- A request is admitted when every policy admits it:
-- max(TAT, now) + interval - now <= capacity. Only then does each TAT move
-- on by one interval; the key expires when its TAT passes, since a key whose
-- TAT has passed means a full quota, the same as no key.
--
-- Returns {admitted (1 or 0), TAT_1 - now, ..., TAT_n - now} after the
-- decision, in microseconds.
if redis.replicate_commands then
  -- Redis before 5 replicates scripts verbatim, which forbids writing
  -- after TIME; later versions replicate effects and ignore this.
  redis.replicate_commands()
end
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
local starts = {}
local admitted = 1
for i = 1, #KEYS do
  local interval = tonumber(ARGV[2 * i - 1])
  local capacity = tonumber(ARGV[2 * i])
  local tat = tonumber(redis.call('GET', KEYS[i]) or 0) or 0
  if tat < now then
    tat = now
  end
  starts[i] = tat
  if tat + interval - now > capacity then
    admitted = 0
  end
end
local reply = {admitted}
for i = 1, #KEYS do
  local tat = starts[i]
  if admitted == 1 then
    tat = tat + tonumber(ARGV[2 * i - 1])
    local ttl = math.ceil((tat - now) / 1000)
    redis.call('SET', KEYS[i], string.format('%.0f', tat), 'PX', ttl)
  end
  reply[i + 1] = tat - now
end
return reply
