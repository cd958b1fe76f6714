--[[
  Continue-as-new (storeRules.continued): closes the execution's current run and opens
  the next, atomically. Checks the lease, that the journal has the expected length and
  that the record is at the expected run; appends the closing event (ContinuedAsNew),
  renames the journal to the closed run's key, starts a new journal with the next run's
  ExecutionStarted, and makes the record running, due now, unleased, at run + 1. The
  inbox and a requested cancellation stay. A refusal writes nothing.

  KEYS[1] record hash of the execution
  KEYS[2] journal list of the execution
  KEYS[3] journal list of the closed run (keys.ts runJournal(id, ARGV[3]))
  ARGV[1] lease token
  ARGV[2] expectedSeq: must equal journalLength
  ARGV[3] the run being closed: must equal the record's run (absent = 1)
  ARGV[4] now (epoch ms)
  ARGV[5] the encoded closing event (bytes)
  ARGV[6] the encoded ExecutionStarted of the next run (bytes)
  ARGV[7] the next run's workflow version, nullable ("" keeps the record's)

  Returns {"continued", "", record...}
       or {"missing" | "stale_token" | "terminal" | "released" | "seq_mismatch" | "run_mismatch", detail, record...}
]]
--- @include "record"

local record = load_fields(KEYS[1], { "token", "status", "leaseOwner", "journalLength", "run" })
local problem, detail = lease_problem(record, ARGV[1])
if problem then return reply(problem, detail, KEYS[1]) end
if tonumber(record.journalLength) ~= tonumber(ARGV[2]) then
  return reply("seq_mismatch", record.journalLength, KEYS[1])
end
local run = tonumber(record.run or "1")
if run ~= tonumber(ARGV[3]) then return reply("run_mismatch", tostring(run), KEYS[1]) end

redis.call("RPUSH", KEYS[2], ARGV[5])
redis.call("RENAME", KEYS[2], KEYS[3])
redis.call("RPUSH", KEYS[2], ARGV[6])
local changes = {
  run = tostring(run + 1), journalLength = "1", status = "running", dueAt = ARGV[4],
  leaseOwner = false, blockedReason = false, currentStep = false, updatedAt = ARGV[4],
}
local version = optional(ARGV[7])
if version then changes.version = version end
save_changes(KEYS[1], changes)
return reply("continued", "", KEYS[1])
