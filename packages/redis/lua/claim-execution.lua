--[[
  Phase 2 of a claim: claims an execution that pick-due.lua took from its workflow's
  due index, if the record (the source of truth) says it is due. The index is only a
  hint: if the record is not due, of another workflow or version, or gone, nothing changes and the
  caller re-syncs the index entry from the record returned.

  KEYS[1] record hash of the execution
  KEYS[2] journal of the execution (list of encoded events)
  KEYS[3] inbox of the execution (list of encoded events sent to it)
  ARGV[1] workflow whose due index it was picked from
  ARGV[2] owner: the claiming worker's id
  ARGV[3] now (epoch ms)
  ARGV[4] lease expiry: now + leaseMs, the claimed record's dueAt
  ARGV[5] version whose due index it was picked from (a record without one is version 1)

  Returns {"claimed", "<r>:<dueAt>" (r "1" if the previous lease ran out, recovered,
         else "0"; dueAt the record's before the claim: when it became due), journal,
         inbox, record...} with the journal's and the inbox's entries, read in the same
         step so that the worker needs no further round trip before it replays,
       or {"not_due", "", {}, {}, record...} (no record fields when it does not exist)
]]
--- @include "record"

local record = load_record(KEYS[1])
if not record or record.workflow ~= ARGV[1] or (record.version or "1") ~= ARGV[5] or not record.dueAt
  or tonumber(record.dueAt) > tonumber(ARGV[3]) then
  local out = reply("not_due", "", KEYS[1])
  table.insert(out, 3, {})
  table.insert(out, 4, {})
  return out
end
local recovered = "0"
if record.leaseOwner then recovered = "1" end
redis.call("HINCRBY", KEYS[1], "token", 1)
save_changes(KEYS[1], { leaseOwner = ARGV[2], dueAt = ARGV[4], status = "running", updatedAt = ARGV[3] })
local out = reply("claimed", recovered .. ":" .. record.dueAt, KEYS[1])
table.insert(out, 3, redis.call("LRANGE", KEYS[2], 0, -1))
table.insert(out, 4, redis.call("LRANGE", KEYS[3], 0, -1))
return out
