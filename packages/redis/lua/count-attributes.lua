--[[
  Counts the executions that the search attribute index names for every (name, value)
  of a where filter, and that have the status and workflow asked for, from the indexes
  alone: no record is read (attribute-index.ts, count). One (name, value) with no status
  or workflow is one ZLEXCOUNT; otherwise the ids of the first pair are checked against
  the other pairs' entries and the lifecycle members hash.

  KEYS[1] attribute index sorted set, all scores 0: "<name>\t<bytes>:<typed value>\t<id>"
  KEYS[2] lifecycle members hash: execution id -> "<rev>\t<status>\t<workflow>"
  ARGV[1] status, nullable ("" any, "=<status>")
  ARGV[2] workflow, nullable ("" any, "=<workflow>")
  ARGV[3] entry prefix of the first pair: "<name>\t<bytes>:<typed value>\t"
  ARGV[4...] entry prefixes of the other pairs

  Returns the count.
]]
local first = ARGV[3]
-- No UTF-8 text has the byte 0xff: this bound follows every id.
local from, to = "[" .. first, "(" .. first .. "\255"
if #ARGV == 3 and ARGV[1] == "" and ARGV[2] == "" then
  return redis.call("ZLEXCOUNT", KEYS[1], from, to)
end
local status = ARGV[1] ~= "" and string.sub(ARGV[1], 2) or nil
local workflow = ARGV[2] ~= "" and string.sub(ARGV[2], 2) or nil
local n = 0
for _, member in ipairs(redis.call("ZRANGEBYLEX", KEYS[1], from, to)) do
  local id = string.sub(member, #first + 1)
  local ok = true
  for i = 4, #ARGV do
    if not redis.call("ZSCORE", KEYS[1], ARGV[i] .. id) then
      ok = false
      break
    end
  end
  if ok and (status or workflow) then
    local stored = redis.call("HGET", KEYS[2], id)
    if not stored then
      ok = false
    else
      local _, s, w = string.match(stored, "^(%d+)\t([^\t]*)\t(.*)$")
      ok = (not status or s == status) and (not workflow or w == workflow)
    end
  end
  if ok then n = n + 1 end
end
return n
