--[[
  Brings one execution's entries in the count and finish-time indexes to the record as
  a record script left it (lifecycle-index.ts). The indexes live in the prefix's slot,
  apart from the record, so they are updated after it; `rev` (the record's change
  counter, record.lua save_changes) orders concurrent updates: an update older than the
  one applied changes nothing. Idempotent.

  KEYS[1] members hash: execution id -> "<rev>\t<status>\t<workflow>"
  KEYS[2] counts hash: "s:<status>" and "w:<status>\t<workflow>" -> how many
  KEYS[3] finished sorted set: execution id -> finish time
  ARGV[1] execution id
  ARGV[2] rev of the record
  ARGV[3] status
  ARGV[4] workflow
  ARGV[5] finish time, nullable ("" running, "=<epoch ms>" finished)

  Returns 1 when applied, 0 when an update with a newer rev was applied before.
]]
local id, rev, status, workflow = ARGV[1], tonumber(ARGV[2]), ARGV[3], ARGV[4]
local stored = redis.call("HGET", KEYS[1], id)
if stored then
  local old_rev, old_status, old_workflow = string.match(stored, "^(%d+)\t([^\t]*)\t(.*)$")
  if tonumber(old_rev) > rev then return 0 end
  if old_status ~= status or old_workflow ~= workflow then
    redis.call("HINCRBY", KEYS[2], "s:" .. old_status, -1)
    redis.call("HINCRBY", KEYS[2], "w:" .. old_status .. "\t" .. old_workflow, -1)
    redis.call("HINCRBY", KEYS[2], "s:" .. status, 1)
    redis.call("HINCRBY", KEYS[2], "w:" .. status .. "\t" .. workflow, 1)
  end
else
  redis.call("HINCRBY", KEYS[2], "s:" .. status, 1)
  redis.call("HINCRBY", KEYS[2], "w:" .. status .. "\t" .. workflow, 1)
end
redis.call("HSET", KEYS[1], id, string.format("%d\t%s\t%s", rev, status, workflow))
if ARGV[5] == "" then
  redis.call("ZREM", KEYS[3], id)
else
  redis.call("ZADD", KEYS[3], string.sub(ARGV[5], 2), id)
end
return 1
