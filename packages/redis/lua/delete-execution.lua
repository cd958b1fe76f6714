--[[
  Deletes a finished execution's record, journal and inbox (storeRules.checkDeletable);
  the caller then removes its index entries (unindex-execution.lua, the due index).
  A refusal deletes nothing. The journals of the runs closed by continue-as-new go too:
  the caller passes one key per earlier run, read from the record's `run` just before;
  when the record has another run by now, nothing is deleted and the caller reads again.

  KEYS[1] record hash of the execution
  KEYS[2] journal list of the execution
  KEYS[3] inbox list of the execution
  KEYS[4...] journal lists of runs 1 .. run - 1 (continue-as-new)

  Returns {"deleted", "", record as it was...}
       or {"missing", ""}
       or {"not_finished", status, record...}
       or {"runs_moved", run}
]]
--- @include "record"

local record = load_fields(KEYS[1], { "token", "status", "run" })
if not record then return { "missing", "" } end
if not TERMINAL[record.status] then return reply("not_finished", record.status, KEYS[1]) end
local run = tonumber(record.run or "1") or 1
if #KEYS - 3 ~= run - 1 then return { "runs_moved", tostring(run) } end
local out = reply("deleted", "", KEYS[1])
redis.call("DEL", KEYS[1], KEYS[2], KEYS[3])
for i = 4, #KEYS do redis.call("DEL", KEYS[i]) end
return out
