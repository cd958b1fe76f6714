--[[
  Hands an execution back: the lease ends, the record gets the new status and dueAt
  (storeRules.released: unseen inbox entries or a cancellation request make it
  running and due now). Refused, with nothing changed, under a lease that is not current.

  KEYS[1] record hash of the execution
  ARGV[1] lease token
  ARGV[2] now (epoch ms)
  ARGV[3] status
  ARGV[4] dueAt, nullable ("" null, "=<ms>")
  ARGV[5] blockedReason, nullable
  ARGV[6] inboxSeen, nullable
  ARGV[7] "1" when the worker journaled the cancellation (Release.cancelDelivered): clear the request

  Returns {"ok", "", record...}
       or {"missing" | "stale_token" | "terminal" | "released", detail, record...}
]]
--- @include "record"

local record = load_record(KEYS[1])
local problem, detail = lease_problem(record, ARGV[1])
if problem then return reply(problem, detail, KEYS[1]) end
save_changes(KEYS[1], release_changes(record, ARGV[3], optional(ARGV[4]), optional(ARGV[5]), optional(ARGV[6]), ARGV[2], ARGV[7]))
return reply("ok", "", KEYS[1])
