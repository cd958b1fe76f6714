--[[
  Step 1 of every change that moves an execution's dueAt, run BEFORE the record script:
  lowers (or adds) the execution's entry in its workflow's due index to the earliest
  time the change can produce, so a crash after the record changes cannot lose the
  wake-up. Records the hint as pending until sync-due.lua confirms it. Without a score
  it only takes a reference mark (for changes that can only move dueAt later).

  KEYS[1] due index (sorted set: id -> earliest possible dueAt)
  KEYS[2] marks (hash: id -> seq of the last script that touched the entry)
  KEYS[3] pending hints (hash: id -> "<count> <time of the latest hint>")
  KEYS[4] seq counter of the marks
  ARGV[1] execution id
  ARGV[2] hint score (epoch ms), or "" to take a mark only
  ARGV[3] now (epoch ms)
  ARGV[4] pending timeout (ms): older pending hints are presumed dead

  Returns the mark: the reference that sync-due.lua compares with.
]]

local id = ARGV[1]
local mark = redis.call("INCR", KEYS[4])
redis.call("HSET", KEYS[2], id, mark)
if ARGV[2] ~= "" then
  -- LT only lowers an existing entry, and adds a missing one.
  redis.call("ZADD", KEYS[1], "LT", ARGV[2], id)
  local count = 0
  local entry = redis.call("HGET", KEYS[3], id)
  if entry then
    local n, at = string.match(entry, "^(%d+) (.*)$")
    if tonumber(ARGV[3]) - tonumber(at) < tonumber(ARGV[4]) then count = tonumber(n) end
  end
  redis.call("HSET", KEYS[3], id, string.format("%d %s", count + 1, ARGV[3]))
end
return mark
