--[[
  Redrive (storeRules.redriven): a failed execution goes on. Checks that it is failed
  and that its journal has the expected length, appends the ExecutionRedriven event
  there, and makes it running and due now, with no lease owner, blocked reason or
  cancellation request. A refusal writes nothing.

  KEYS[1] record hash of the execution
  KEYS[2] journal list of the execution
  ARGV[1] expectedSeq: must equal journalLength
  ARGV[2] now (epoch ms)
  ARGV[3] the encoded ExecutionRedriven event (bytes)

  Returns {"redriven", "", record...}
       or {"missing", "", record...}
       or {"not_failed", status, record...}
       or {"seq_mismatch", journalLength, record...}
]]
--- @include "record"

local record = load_fields(KEYS[1], { "token", "status", "journalLength" })
if not record then return reply("missing", "", KEYS[1]) end
if record.status ~= "failed" then return reply("not_failed", record.status, KEYS[1]) end
if tonumber(record.journalLength) ~= tonumber(ARGV[1]) then
  return reply("seq_mismatch", record.journalLength, KEYS[1])
end
redis.call("RPUSH", KEYS[2], ARGV[3])
redis.call("HINCRBY", KEYS[1], "journalLength", 1)
save_changes(KEYS[1], {
  status = "running", dueAt = ARGV[2], leaseOwner = false, blockedReason = false,
  cancelRequested = false, cancelReason = false, updatedAt = ARGV[2],
})
return reply("redriven", "", KEYS[1])
