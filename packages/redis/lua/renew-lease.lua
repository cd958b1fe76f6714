--[[
  Extends a lease that is still held (same token, an owner set): dueAt becomes the new
  expiry. Anything else is reported lost and left unchanged.

  KEYS[1] record hash of the execution
  ARGV[1] lease token
  ARGV[2] new lease expiry (epoch ms)

  Returns {"renewed", cancellation ("" none, "-", "=<reason>"), record...}
       or {"lost", "", record...}
]]
--- @include "record"

local record = load_record(KEYS[1])
if not record or tonumber(record.token) ~= tonumber(ARGV[1]) or not record.leaseOwner then
  return reply("lost", "", KEYS[1])
end
redis.call("HSET", KEYS[1], "dueAt", ARGV[2])
return reply("renewed", cancel_detail(record), KEYS[1])
