--[[
  Makes a blocked execution running and due now, its blockedReason cleared
  (storeRules.resumed). Any other execution is left unchanged.

  KEYS[1] record hash of the execution
  ARGV[1] now (epoch ms)

  Returns {"resumed" | "unchanged" | "missing", "", record...}
]]
--- @include "record"

local record = load_record(KEYS[1])
if not record then return reply("missing", "", KEYS[1]) end
if record.status ~= "blocked" then return reply("unchanged", "", KEYS[1]) end
save_changes(KEYS[1], {
  status = "running", dueAt = ARGV[1], leaseOwner = false, blockedReason = false, updatedAt = ARGV[1],
})
return reply("resumed", "", KEYS[1])
