--[[
  Brings one execution's entries in the search attribute index to its record's
  attributes as a record script left them (attribute-index.ts), or removes them all
  (delete). The index lives in the prefix's slot, apart from the record, so it is
  updated after it; `rev` (the record's change counter, record.lua save_changes) orders
  concurrent updates: one older than the update applied changes nothing. Idempotent.

  KEYS[1] attribute members hash: execution id -> "<rev>\t<JSON array of its index entries>"
  KEYS[2] attribute index sorted set, all scores 0: "<name>\t<bytes>:<typed value>\t<id>"
  ARGV[1] execution id
  ARGV[2] rev of the record, or "forget" to remove the execution whatever its rev
  ARGV[3...] the index entries of the record's attributes (none: it has no attributes)

  Returns 1 when applied, 0 when an update with a newer rev was applied before.
]]
local id = ARGV[1]
local forget = ARGV[2] == "forget"
local stored = redis.call("HGET", KEYS[1], id)
local old = {}
if stored then
  local old_rev, entries = string.match(stored, "^(%d+)\t(.*)$")
  if not forget and tonumber(old_rev) > tonumber(ARGV[2]) then return 0 end
  old = cjson.decode(entries)
end
local new = {}
if not forget then
  for i = 3, #ARGV do new[ARGV[i]] = true end
end
for _, entry in ipairs(old) do
  if not new[entry] then redis.call("ZREM", KEYS[2], entry) end
end
if forget or #ARGV < 3 then
  redis.call("HDEL", KEYS[1], id)
  return 1
end
local list = {}
for i = 3, #ARGV do
  list[#list + 1] = ARGV[i]
  redis.call("ZADD", KEYS[2], 0, ARGV[i])
end
redis.call("HSET", KEYS[1], id, ARGV[2] .. "\t" .. cjson.encode(list))
return 1
