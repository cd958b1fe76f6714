--[[
  Creates an execution with its first journal entry, or, if the id exists, changes
  nothing (create is idempotent on the id; of concurrent creators exactly one wins).
  Signal-with-start (ARGV[5] "1"): the event is delivered in the same script, as entry 0
  of a new execution's inbox, or as send-event.lua delivers it to an existing execution
  of the same workflow that has not finished; a finished one is refused, nothing written.

  KEYS[1] record hash of the execution
  KEYS[2] journal list of the execution
  KEYS[3] inbox list of the execution
  ARGV[1] execution id
  ARGV[2] workflow name
  ARGV[3] createdAt (epoch ms): also updatedAt and dueAt, and the now of a delivery
  ARGV[4] the encoded ExecutionStarted event (bytes), journal entry 0
  ARGV[5] "1" to deliver ARGV[6], "0" for a plain create
  ARGV[6] the encoded inbox entry (bytes; "" when ARGV[5] is "0")
  ARGV[7] the workflow version of the execution (a positive integer, decimal)

  Returns {"created" | "exists", "", record...}, {"sent", inbox seq, record...} (delivered
  to an existing execution), or {"finished", status, record...} (nothing written)
]]
--- @include "record"

local with_event = ARGV[5] == "1"
local record = load_record(KEYS[1])
if record then
  if not with_event or record.workflow ~= ARGV[2] then return reply("exists", "", KEYS[1]) end
  if TERMINAL[record.status] then return reply("finished", record.status, KEYS[1]) end
  local seq = record.inboxLength
  redis.call("RPUSH", KEYS[3], ARGV[6])
  redis.call("HINCRBY", KEYS[1], "inboxLength", 1)
  local changes = wake_changes(record, ARGV[3])
  changes.updatedAt = ARGV[3]
  save_changes(KEYS[1], changes)
  return reply("sent", seq, KEYS[1])
end
local inbox_length = "0"
if with_event then inbox_length = "1" end
redis.call("HSET", KEYS[1],
  "id", ARGV[1], "workflow", ARGV[2], "status", "running",
  "createdAt", ARGV[3], "updatedAt", ARGV[3], "dueAt", ARGV[3],
  "token", "0", "journalLength", "1", "inboxLength", inbox_length, "version", ARGV[7])
redis.call("DEL", KEYS[2])
redis.call("RPUSH", KEYS[2], ARGV[4])
redis.call("DEL", KEYS[3])
if with_event then redis.call("RPUSH", KEYS[3], ARGV[6]) end
return reply("created", "", KEYS[1])
