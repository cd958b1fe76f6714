--[[
  Appends events to the journal under a lease, optionally handing the execution back
  in the same write. The fencing token and expectedSeq are checked here, atomically
  with the write: a refused append writes nothing.

  KEYS[1] record hash of the execution
  KEYS[2] journal list of the execution
  ARGV[1] lease token
  ARGV[2] expectedSeq: must equal journalLength
  ARGV[3] now (epoch ms)
  ARGV[4] "1" to set currentStep, "0" to keep it
  ARGV[5] currentStep, nullable ("" null, "=<name>")
  ARGV[6] "1" to release with the append, "0" to keep the lease
  ARGV[7] release status
  ARGV[8] release dueAt, nullable
  ARGV[9] release blockedReason, nullable
  ARGV[10] release inboxSeen, nullable
  ARGV[11] n, the number of search attribute changes (AppendRequest.attributes)
  ARGV[12...] n pairs (attribute name, typed value "s:.." / "n:.." / "b:..", or "" to
              remove it), then the events (bytes), in order

  Returns {"appended", cancellation before the append ("" none, "-", "=<reason>"), record...}
          when it released the execution or changed attributes (the caller syncs the
          attribute index from the record's `a:<name>` fields and `rev`),
       or {"appended", cancellation, journal length} when it kept the lease (the hot
          path: the caller needs no more, and a record per step costs both ends),
       or {"missing" | "stale_token" | "terminal" | "released" | "seq_mismatch", detail, record...}
]]
--- @include "record"

-- What the lease check, the cancellation detail and release_changes read.
local record = load_fields(KEYS[1], {
  "token", "status", "leaseOwner", "journalLength", "inboxLength", "cancelRequested", "cancelReason",
})
local problem, detail = lease_problem(record, ARGV[1])
if problem then return reply(problem, detail, KEYS[1]) end
if tonumber(record.journalLength) ~= tonumber(ARGV[2]) then
  return reply("seq_mismatch", record.journalLength, KEYS[1])
end

local cancel = cancel_detail(record)
local attribute_changes = tonumber(ARGV[11])
local first_event = 12 + 2 * attribute_changes
-- One RPUSH per 1,000 events: fewer calls, within unpack's limit on arguments.
for first = first_event, #ARGV, 1000 do
  redis.call("RPUSH", KEYS[2], unpack(ARGV, first, math.min(first + 999, #ARGV)))
end
local length = redis.call("HINCRBY", KEYS[1], "journalLength", #ARGV - first_event + 1)

local changes = { updatedAt = ARGV[3] }
if ARGV[6] == "1" then
  changes = release_changes(record, ARGV[7], optional(ARGV[8]), optional(ARGV[9]), optional(ARGV[10]), ARGV[3])
end
if ARGV[4] == "1" then changes.currentStep = optional(ARGV[5]) or false end
-- Search attributes: one field `a:<name>` each, holding the typed value (record-codec.ts).
for i = 12, first_event - 1, 2 do
  if ARGV[i + 1] == "" then changes["a:" .. ARGV[i]] = false else changes["a:" .. ARGV[i]] = ARGV[i + 1] end
end
save_changes(KEYS[1], changes)
if ARGV[6] ~= "1" and attribute_changes == 0 then return { "appended", cancel, tostring(length) } end
return reply("appended", cancel, KEYS[1])
