--[[
  A worker announces the workflows it runs (storeRules.announced): for each, keeps the
  latest announcement, "<at> <workerId>"; an older one than the kept one changes nothing.

  KEYS[1] hash of the store's worker sightings: workflow -> "<at> <workerId>"
  ARGV[1] worker id
  ARGV[2] now (epoch ms)
  ARGV[3...] workflow names

  Returns the number of workflows whose sighting changed.
]]

local changed = 0
for i = 3, #ARGV do
  local kept = redis.call("HGET", KEYS[1], ARGV[i])
  local at = kept and tonumber(string.match(kept, "^(%S+)"))
  if not at or at <= tonumber(ARGV[2]) then
    redis.call("HSET", KEYS[1], ARGV[i], ARGV[2] .. " " .. ARGV[1])
    changed = changed + 1
  end
end
return changed
