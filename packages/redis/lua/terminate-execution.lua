--[[
  Terminate (storeRules.terminated): ends a live execution at once, running no workflow
  code. Checks that it is not finished and, when an expected length is given, that its
  journal has it; appends the ExecutionTerminated event there, and makes it terminated
  with no due time, lease owner, blocked reason or cancellation, and a new fencing token
  (the lease holder's next append, release or renewal is refused). A refusal writes nothing.

  KEYS[1] record hash of the execution
  KEYS[2] journal list of the execution
  ARGV[1] expectedSeq, nullable ("" any length, "=<n>" must equal journalLength)
  ARGV[2] now (epoch ms)
  ARGV[3] the encoded ExecutionTerminated event (bytes)

  Returns {"terminated", "", record...}
       or {"missing", "", record...}
       or {"finished", status, record...}
       or {"seq_mismatch", journalLength, record...}
]]
--- @include "record"

local record = load_fields(KEYS[1], { "token", "status", "journalLength" })
if not record then return reply("missing", "", KEYS[1]) end
if TERMINAL[record.status] then return reply("finished", record.status, KEYS[1]) end
local expected = optional(ARGV[1])
if expected and tonumber(record.journalLength) ~= tonumber(expected) then
  return reply("seq_mismatch", record.journalLength, KEYS[1])
end
redis.call("RPUSH", KEYS[2], ARGV[3])
redis.call("HINCRBY", KEYS[1], "journalLength", 1)
redis.call("HINCRBY", KEYS[1], "token", 1)
save_changes(KEYS[1], {
  status = "terminated", dueAt = false, leaseOwner = false, blockedReason = false,
  cancelRequested = false, cancelReason = false, updatedAt = ARGV[2],
})
return reply("terminated", "", KEYS[1])
