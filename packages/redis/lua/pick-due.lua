--[[
  Phase 1 of a claim: takes up to `limit` ids whose entry in the workflow's due index
  is at most `now`, oldest first, and pushes their entries to the lease expiry so that
  concurrent claimers do not take the same ids. The record decides in phase 2
  (claim-execution.lua); a claimer that dies in between delays these executions by
  one lease length at most, as a worker that dies holding them would.

  KEYS[1] due index (sorted set: id -> earliest possible dueAt)
  KEYS[2] marks (hash: id -> seq of the last script that touched the entry)
  KEYS[3] seq counter of the marks
  ARGV[1] now (epoch ms)
  ARGV[2] limit
  ARGV[3] lease expiry: now + leaseMs

  Returns {id, score before the pick, mark, id, score, mark, ...}
]]

local picked = redis.call("ZRANGEBYSCORE", KEYS[1], "-inf", ARGV[1], "WITHSCORES", "LIMIT", 0, tonumber(ARGV[2]))
local out = {}
for i = 1, #picked, 2 do
  local id = picked[i]
  local mark = redis.call("INCR", KEYS[3])
  redis.call("ZADD", KEYS[1], ARGV[3], id)
  redis.call("HSET", KEYS[2], id, mark)
  out[#out + 1] = id
  out[#out + 1] = picked[i + 1]
  out[#out + 1] = tostring(mark)
end
return out
