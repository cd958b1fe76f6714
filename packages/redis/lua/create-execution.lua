--[[
  Creates an execution with its first journal entry, or, if the id exists, changes
  nothing (create is idempotent on the id; of concurrent creators exactly one wins).

  KEYS[1] record hash of the execution
  KEYS[2] journal list of the execution
  ARGV[1] execution id
  ARGV[2] workflow name
  ARGV[3] createdAt (epoch ms): also updatedAt and dueAt
  ARGV[4] the encoded ExecutionStarted event (bytes), journal entry 0

  Returns {"created" | "exists", "", record...}
]]
--- @include "record"

if redis.call("EXISTS", KEYS[1]) == 1 then return reply("exists", "", KEYS[1]) end
redis.call("HSET", KEYS[1],
  "id", ARGV[1], "workflow", ARGV[2], "status", "running",
  "createdAt", ARGV[3], "updatedAt", ARGV[3], "dueAt", ARGV[3],
  "token", "0", "journalLength", "1", "inboxLength", "0")
redis.call("DEL", KEYS[2])
redis.call("RPUSH", KEYS[2], ARGV[4])
return reply("created", "", KEYS[1])
