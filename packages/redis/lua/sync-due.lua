--[[
  Step 3 of a change that moves dueAt (and the re-sync after a claim finds a record not
  due): brings the execution's due-index entry to the dueAt its record had when the
  record script ran.

  Moving the entry earlier (or adding it) is always safe: an early entry costs one look
  at the record. Moving it later or removing it is safe only if nothing could have
  made the record earlier meanwhile, so it happens only when (a) no script touched
  the entry since the caller's reference mark (taken before the record was read), and
  (b) no other change has a pending hint (a wake-up whose record write may not have
  been synced yet). Otherwise the entry is left early, and a later claim re-checks.

  KEYS[1] due index (sorted set: id -> earliest possible dueAt)
  KEYS[2] marks (hash: id -> seq of the last script that touched the entry)
  KEYS[3] pending hints (hash: id -> "<count> <time of the latest hint>")
  KEYS[4] seq counter of the marks
  ARGV[1] execution id
  ARGV[2] the record's dueAt (epoch ms), or "" for none (not due in this workflow)
  ARGV[3] the caller's reference mark ("" for none: only lowering then)
  ARGV[4] "1" if the caller wrote a pending hint (hint-due.lua with a score), else "0"
  ARGV[5] now (epoch ms)
  ARGV[6] pending timeout (ms): older pending hints are presumed dead

  Returns "lowered", "raised", "removed" or "kept".
]]

local id = ARGV[1]
local others = 0
local entry = redis.call("HGET", KEYS[3], id)
if entry then
  local n, at = string.match(entry, "^(%d+) (.*)$")
  local count = tonumber(n)
  if ARGV[4] == "1" and count > 0 then count = count - 1 end
  if count == 0 then
    redis.call("HDEL", KEYS[3], id)
  else
    redis.call("HSET", KEYS[3], id, string.format("%d %s", count, at))
    if tonumber(ARGV[5]) - tonumber(at) < tonumber(ARGV[6]) then others = count end
  end
end

local score = redis.call("ZSCORE", KEYS[1], id)
local mark = redis.call("HGET", KEYS[2], id)
local outcome = "kept"
if ARGV[2] ~= "" and (not score or tonumber(ARGV[2]) < tonumber(score)) then
  redis.call("ZADD", KEYS[1], ARGV[2], id)
  score = ARGV[2]
  outcome = "lowered"
elseif ARGV[3] ~= "" and mark == ARGV[3] and others == 0 then
  if ARGV[2] == "" then
    if score then
      redis.call("ZREM", KEYS[1], id)
      score = nil
      outcome = "removed"
    end
  elseif tonumber(ARGV[2]) ~= tonumber(score) then
    redis.call("ZADD", KEYS[1], ARGV[2], id)
    outcome = "raised"
  end
end

-- This script touched the entry: a reference taken before now allows no later raise.
-- An id without an entry needs no mark (a missing mark matches no reference).
if score then
  redis.call("HSET", KEYS[2], id, redis.call("INCR", KEYS[4]))
else
  redis.call("HDEL", KEYS[2], id)
end
return outcome
