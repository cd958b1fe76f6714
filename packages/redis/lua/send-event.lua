--[[
  Stores an event in the execution's inbox and wakes the execution if no live lease
  holds it (storeRules.woken; a blocked one stays blocked).

  KEYS[1] record hash of the execution
  KEYS[2] inbox list of the execution
  ARGV[1] the event (bytes)
  ARGV[2] now (epoch ms)

  Returns {"sent", inbox seq of the event, record...}
       or {"missing", "", record...} or {"finished", status, record...}
]]
--- @include "record"

local record = load_record(KEYS[1])
if not record then return reply("missing", "", KEYS[1]) end
if TERMINAL[record.status] then return reply("finished", record.status, KEYS[1]) end
local seq = record.inboxLength
redis.call("RPUSH", KEYS[2], ARGV[1])
redis.call("HINCRBY", KEYS[1], "inboxLength", 1)
local changes = wake_changes(record, ARGV[2])
changes.updatedAt = ARGV[2]
save_changes(KEYS[1], changes)
return reply("sent", seq, KEYS[1])
