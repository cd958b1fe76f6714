--[[
  Removes a deleted execution from the prefix's indexes: counts, finish times and the
  created index that `list` walks (lifecycle-index.ts). Idempotent.

  KEYS[1] members hash: execution id -> "<rev>\t<status>\t<workflow>"
  KEYS[2] counts hash: "s:<status>" and "w:<status>\t<workflow>" -> how many
  KEYS[3] finished sorted set: execution id -> finish time
  KEYS[4] created sorted set: execution id -> createdAt
  ARGV[1] execution id

  Returns 1 when the execution was counted, else 0.
]]
local id = ARGV[1]
redis.call("ZREM", KEYS[3], id)
redis.call("ZREM", KEYS[4], id)
local stored = redis.call("HGET", KEYS[1], id)
if not stored then return 0 end
local _, status, workflow = string.match(stored, "^(%d+)\t([^\t]*)\t(.*)$")
redis.call("HINCRBY", KEYS[2], "s:" .. status, -1)
redis.call("HINCRBY", KEYS[2], "w:" .. status .. "\t" .. workflow, -1)
redis.call("HDEL", KEYS[1], id)
return 1
