--[[
  Deletes a finished execution's record, journal and inbox (storeRules.checkDeletable);
  the caller then removes its index entries (unindex-execution.lua, the due index).
  A refusal deletes nothing. The journals of runs closed by continue-as-new are deleted
  by the caller next, from the `run` of the record this returns (redis-store.ts).

  KEYS[1] record hash of the execution
  KEYS[2] journal list of the execution
  KEYS[3] inbox list of the execution

  Returns {"deleted", "", record as it was...}
       or {"missing", ""}
       or {"not_finished", status, record...}
]]
--- @include "record"

local record = load_fields(KEYS[1], { "token", "status" })
if not record then return { "missing", "" } end
if not TERMINAL[record.status] then return reply("not_finished", record.status, KEYS[1]) end
local out = reply("deleted", "", KEYS[1])
redis.call("DEL", KEYS[1], KEYS[2], KEYS[3])
return out
