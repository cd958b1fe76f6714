--[[
  Record helpers shared by the execution scripts, pasted in where a script says @include "record".
  They take keys and values as parameters and use no KEYS or ARGV of their own.

  The record is a hash. A field that is null in ExecutionRecord is absent from the hash,
  so `record.field` is nil for it. The transitions below mirror storeRules in
  @stepline/core (memory-store.ts); the conformance suite checks that they agree.

  Nullable arguments arrive encoded: "" is null, "=<value>" is the value.
]]

local TERMINAL = { succeeded = true, failed = true, cancelled = true, terminated = true, timed_out = true }

local function optional(arg)
  if arg == "" then return nil end
  return string.sub(arg, 2)
end

local function load_record(key)
  local flat = redis.call("HGETALL", key)
  if #flat == 0 then return nil end
  local record = {}
  for i = 1, #flat, 2 do record[flat[i]] = flat[i + 1] end
  return record
end

-- Only `fields` of the record (HMGET: cheaper than the whole hash on a hot path), or
-- nil when it does not exist. `fields` must include "token", which every record has.
local function load_fields(key, fields)
  local values = redis.call("HMGET", key, unpack(fields))
  local record = {}
  for i = 1, #fields do
    if values[i] then record[fields[i]] = values[i] end
  end
  if not record.token then return nil end
  return record
end

-- Writes `changes` to the record; a field set to false is deleted (it becomes null).
-- Every change also increments the record's `rev`, which orders the updates of the
-- count and finish-time indexes (index-execution.lua): a late one never wins.
local function save_changes(key, changes)
  redis.call("HINCRBY", key, "rev", 1)
  local set, del = {}, {}
  for field, value in pairs(changes) do
    if value == false then
      del[#del + 1] = field
    else
      set[#set + 1] = field
      set[#set + 1] = value
    end
  end
  if #set > 0 then redis.call("HSET", key, unpack(set)) end
  if #del > 0 then redis.call("HDEL", key, unpack(del)) end
end

-- The reply of every execution script: code, detail, then the record as it is now
-- (flat field/value pairs; none when it does not exist), so the caller can re-sync the
-- due index and build its result from one round trip.
local function reply(code, detail, key)
  local out = { code, detail }
  local flat = redis.call("HGETALL", key)
  for i = 1, #flat do out[#out + 1] = flat[i] end
  return out
end

-- storeRules.checkLease: the reason a write under lease token `token` is refused, if any.
local function lease_problem(record, token)
  if not record then return "missing", "" end
  -- Terminal first: a terminated execution has a new token too, and "terminated" is the news.
  if TERMINAL[record.status] then return "terminal", record.status end
  if tonumber(record.token) ~= tonumber(token) then return "stale_token", record.token end
  if not record.leaseOwner then return "released", "" end
  return nil, nil
end

-- The cancellation request, encoded for a reply: "" none, "-" without reason, "=<reason>".
local function cancel_detail(record)
  if not record.cancelRequested then return "" end
  if record.cancelReason then return "=" .. record.cancelReason end
  return "-"
end

-- storeRules.leaseIsLive
local function lease_is_live(record, now)
  return record.leaseOwner ~= nil and record.dueAt ~= nil and tonumber(record.dueAt) > tonumber(now)
end

-- storeRules.released: the changes of a release (record = the record before it).
-- cancel_delivered "1": the worker journaled the cancellation; the request is cleared.
local function release_changes(record, status, due_at, blocked_reason, inbox_seen, now, cancel_delivered)
  local changes = {
    status = status,
    dueAt = due_at or false,
    leaseOwner = false,
    blockedReason = false,
    updatedAt = now,
  }
  if status == "blocked" then changes.blockedReason = blocked_reason or false end
  local cancel_requested = record.cancelRequested
  if cancel_delivered == "1" then
    changes.cancelRequested = false
    changes.cancelReason = false
    cancel_requested = nil
  end
  if TERMINAL[status] then
    changes.dueAt = false
    changes.cancelRequested = false
    changes.cancelReason = false
  elseif status ~= "blocked" then
    local unseen = inbox_seen ~= nil and tonumber(record.inboxLength) > tonumber(inbox_seen)
    if unseen or cancel_requested then
      changes.status = "running"
      changes.dueAt = now
    end
  end
  return changes
end

-- storeRules.woken: the changes of a wake-up (event, cancellation) that finds no live lease.
local function wake_changes(record, now)
  if lease_is_live(record, now) or record.status == "blocked" then return {} end
  -- An execution already overdue keeps its place in the queue.
  local due_at = now
  if record.dueAt and tonumber(record.dueAt) <= tonumber(now) then due_at = record.dueAt end
  return { status = "running", dueAt = due_at, leaseOwner = false }
end
