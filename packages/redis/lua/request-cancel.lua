--[[
  Marks a live execution for cancellation (storeRules.cancelRequested): woken if no
  live lease holds it; a blocked one is woken too, so a worker can end it.

  KEYS[1] record hash of the execution
  ARGV[1] reason, nullable ("" none, "=<reason>")
  ARGV[2] now (epoch ms)

  Returns {"requested", "", record...}
       or {"missing", "", record...} or {"finished", status, record...}
]]
--- @include "record"

local record = load_record(KEYS[1])
if not record then return reply("missing", "", KEYS[1]) end
if TERMINAL[record.status] then return reply("finished", record.status, KEYS[1]) end
local changes
if record.status == "blocked" then
  changes = { status = "running", dueAt = ARGV[2], leaseOwner = false, blockedReason = false }
else
  changes = wake_changes(record, ARGV[2])
end
changes.cancelRequested = "1"
changes.cancelReason = optional(ARGV[1]) or false
changes.updatedAt = ARGV[2]
save_changes(KEYS[1], changes)
return reply("requested", "", KEYS[1])
