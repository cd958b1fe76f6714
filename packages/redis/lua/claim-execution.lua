--[[
  Phase 2 of a claim: claims an execution that pick-due.lua took from its workflow's
  due index, if the record (the source of truth) says it is due. The index is only a
  hint: if the record is not due, of another workflow or gone, nothing changes and the
  caller re-syncs the index entry from the record returned.

  KEYS[1] record hash of the execution
  ARGV[1] workflow whose due index it was picked from
  ARGV[2] owner: the claiming worker's id
  ARGV[3] now (epoch ms)
  ARGV[4] lease expiry: now + leaseMs, the claimed record's dueAt

  Returns {"claimed", "1" if the previous lease ran out (recovered) else "0", record...}
       or {"not_due", "", record...} (no record fields when it does not exist)
]]
--- @include "record"

local record = load_record(KEYS[1])
if not record or record.workflow ~= ARGV[1] or not record.dueAt
  or tonumber(record.dueAt) > tonumber(ARGV[3]) then
  return reply("not_due", "", KEYS[1])
end
local recovered = "0"
if record.leaseOwner then recovered = "1" end
redis.call("HINCRBY", KEYS[1], "token", 1)
save_changes(KEYS[1], { leaseOwner = ARGV[2], dueAt = ARGV[4], status = "running", updatedAt = ARGV[3] })
return reply("claimed", recovered, KEYS[1])
