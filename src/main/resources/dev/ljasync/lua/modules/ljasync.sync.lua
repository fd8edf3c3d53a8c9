-- ljasync.sync: channels, mutexes and semaphores that every lua_State of the library shares with the others and
-- with Java (dev.ljasync.Channel, Mutex and Semaphore).
--
--   local sync = require("ljasync.sync")
--   local ch = sync.channel([capacity])    -- unbounded without a capacity
--   ch:send(value [, timeout])             -- true, or false, "timeout"; raises on a closed channel
--   local v, err = ch:receive([timeout])   -- the value (maybe nil), or nil, "timeout" / nil, "closed"
--   ch:close(); ch:is_closed(); ch:size(); ch:handle()
--   local m = sync.mutex()                 -- m:lock([timeout]) -> true/false; m:unlock(); m:is_locked(); m:is_held()
--   local s = sync.semaphore([permits])    -- s:acquire([timeout]) -> true/false; s:release([n]); s:available()
--   local i, v, err = sync.select({ch1, ch2, ...} [, timeout])
--                                          -- i, value / i, nil, "closed" / nil, nil, "timeout"
--   local t = sync.table()                 -- t:get(k); t:set(k, v); t:cas(k, old, new) -> true/false;
--                                          -- t:increment(k [, by]) -> the new number; t:snapshot(); t:size();
--                                          -- t:clear(); t:handle()
--   local x = sync.wrap(handle)            -- the object a handle names: what Java passes, or x:handle() elsewhere
--   local ex = sync.executor{workers = n, setup = "lua source", reset_globals = bool, cancellable = bool}
--   local f = ex:submit(source, ...)       -- or ex:call(name, ...): a future of the results
--   f:get([timeout]) -> true, results... / false, error / nil, "timeout"; f:done(); f:cancel()
--   ex:shutdown(); ex:close()              -- no new tasks; close also waits for the queued and running ones
--
-- Timeouts are in seconds; none (nil) waits as long as it takes. Every wait from Lua happens inside a native call
-- (lua_pcall), so on a virtual thread it pins the carrier while it waits: there a wait without a timeout that would
-- have to wait raises an error instead, and a timed one keeps the carrier at most that long. The objects live in Java, reached through one C
-- function (dev.ljasync.internal.SyncUpcalls), the context this module is loaded with; a wrapper here holds a
-- reference to its object until the wrapper is collected or its state closes. Values cross as bytes in the one
-- encoding that dev.ljasync.internal.Messages reads and writes on the Java side; a number through a channel crosses
-- as a double, with nothing to encode or decode.
local modname, entry, state_id = ...
local ffi = require("ffi")
local type, error, next, tostring, select, pcall, require, unpack, rawequal = type, error, next, tostring, select,
  pcall, require, unpack, rawequal
local istype, cast, copy, new, fstring, typeof, metatype, gc = ffi.istype, ffi.cast, ffi.copy, ffi.new, ffi.string,
  ffi.typeof, ffi.metatype, ffi.gc
local huge = 1 / 0
local find = string and string.find -- the string library is optional; only error messages use it

if entry == nil then
  error(modname .. " was loaded without its way into Java; load it with require", 0)
end

-- double sync(int32_t op, int64_t handle, void *data, int64_t size, double timeout, double *out): 0 or more on
-- success, a negated status on failure. The numbers below are also written in SyncUpcalls and Shared.
local sync_call = cast("double (*)(int32_t, int64_t, void *, int64_t, double, double *)", entry)
local NEW_CHANNEL, NEW_MUTEX, NEW_SEMAPHORE, RETAIN, RELEASE, SEND, RECEIVE, CLOSE, LOCK, UNLOCK, ACQUIRE,
  RELEASE_PERMITS, QUERY, ERROR, SEND_NUMBER = 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
local NEW_KEEPER, KEEPER_SEND, KEEPER_RECEIVE, KEEPER_CLEAR = 40, 41, 42, 43
local SIZE, IS_CLOSED, IS_LOCKED, IS_HELD, AVAILABLE = 1, 2, 3, 4, 5
local TIMEOUT, CLOSED, INTERRUPTED, NO_OBJECT, NOT_OWNER, TOO_SMALL, FAILED, PINNED, NUMBER = -1, -2, -3, -4, -5, -6,
  -7, -8, -9
local KIND_CHANNEL, KIND_MUTEX, KIND_SEMAPHORE, KIND_KEEPER = 1, 2, 3, 8
local SELECT, NEW_TABLE, TABLE_GET, TABLE_SET, TABLE_CAS, TABLE_INCREMENT, TABLE_SNAPSHOT, TABLE_CLEAR, KIND_TABLE =
  20, 21, 22, 23, 24, 25, 26, 27, 20

local bytes_t = typeof("uint8_t[?]")
local double_p, int64_p, uint64_p, uint32_p = typeof("double *"), typeof("int64_t *"), typeof("uint64_t *"),
  typeof("uint32_t *")
local int64_t, uint64_t, void_p, uintptr_t = typeof("int64_t"), typeof("uint64_t"), typeof("void *"),
  typeof("uintptr_t")
local out = new("double[2]")
local errbuf_size = 1024
local errbuf = new(bytes_t, errbuf_size)

-- ---- errors ---------------------------------------------------------------------------------------------------

local function why(status)
  if status == INTERRUPTED then
    return "interrupted while waiting (the thread's interrupt flag stays set, unless the library interrupted it)"
  elseif status == PINNED then
    return "it would wait without a timeout on a virtual thread, which Lua code keeps pinned to its carrier (it runs"
      .. " inside a native call) so that no other virtual thread could run there; give a timeout (the carrier waits"
      .. " that long at most) or run this code on a platform thread"
  elseif status == NO_OBJECT then
    return "it no longer exists"
  elseif status == FAILED then
    local n = sync_call(ERROR, 0, errbuf, errbuf_size, 0, nil)
    return "it failed in Java: " .. fstring(errbuf, n < errbuf_size and n or errbuf_size)
  end
  return "status " .. tostring(status)
end

-- Raises the error of a failed operation at `level` (1: the function that calls fail).
local function fail(what, status, level)
  error(modname .. ": " .. what .. ": " .. why(status), level + 1)
end

-- A timeout in seconds as the entry takes it: negative for none.
local function seconds(timeout, level)
  if timeout == nil then
    return -1
  end
  if type(timeout) ~= "number" or timeout ~= timeout or timeout < 0 then
    error(modname .. ": a timeout is a number of seconds, 0 or more (or nil to wait as long as it takes), not "
      .. tostring(timeout), level + 1)
  end
  return timeout
end

local function count(n, what, least, level)
  if type(n) ~= "number" or n ~= n or n < least or n > 2147483647 or n % 1 ~= 0 then
    error(modname .. ": " .. what .. " must be a whole number from " .. least .. " to 2147483647, not "
      .. tostring(n), level + 1)
  end
  return n
end

-- ---- wrappers ---------------------------------------------------------------------------------------------------
-- A wrapper is a cdata struct holding its object's handle in `id` (a double: handles stay below 2^53; a field named
-- handle would hide the method), with methods in its metatable; its __gc gives its reference back. `self` is
-- checked, so that ch.send(v) fails clearly.

local Channel, Mutex, Semaphore, Keeper = {}, {}, {}, {}
local channel_t, mutex_t, semaphore_t, keeper_t
local Executor, Future, executor_t, future_t = {}, {} -- not shared: they belong to the state that made them
local SharedTable, table_t = {}

local function kind_of(x)
  if istype(channel_t, x) then
    return "channel"
  elseif istype(mutex_t, x) then
    return "mutex"
  elseif istype(semaphore_t, x) then
    return "semaphore"
  elseif istype(table_t, x) then
    return "shared table"
  elseif istype(keeper_t, x) then
    return "keeper"
  end
end

local check

-- `make`, when given, is what calling the type makes (lj-async.mutex's Mutex() is mutex_t()). Every kind has the
-- method handle(), its handle for sync.wrap in another state.
local function wrapper(name, methods, make)
  local ct = typeof("struct { const double id; }")
  function methods.handle(self)
    check(ct, self, name, "handle", 2)
    return self.id
  end
  return metatype(ct, {
    __new = make,
    __index = methods,
    __gc = function(self)
      sync_call(RELEASE, self.id, nil, 0, 0, nil)
    end,
    __tostring = function(self)
      return name .. " " .. tostring(self.id)
    end,
    __eq = function(a, b)
      return istype(ct, a) and istype(ct, b) and a.id == b.id
    end,
  })
end

function check(ct, self, name, method, level)
  if not istype(ct, self) then
    error(modname .. ": " .. name .. ":" .. method .. " needs " .. (name == "executor" and "an " or "a ") .. name
      .. " (call it with a colon: x:" .. method
      .. "(...)), not " .. (kind_of(self) or type(self)), level + 1)
  end
end

-- ---- encoding -----------------------------------------------------------------------------------------------------
-- A message is one value: a tag byte, then for a number the 8 bytes of its double, for a string its length (uint32)
-- and bytes, for a table its number of pairs (uint32) and each key and value, for an int64_t/uint64_t its 8 bytes,
-- for a table already in the message its number (uint32, counting tables from 1 as they are written): a table held
-- in several places is copied once and arrives held in those places. Native byte order; 256 MB at most. Written into
-- `sbuf`, one per state, which grows as needed.

local T_NIL, T_FALSE, T_TRUE, T_NUMBER, T_STRING, T_TABLE, T_INT64, T_UINT64, T_REF, T_POINTER = 0, 1, 2, 3, 4,
  5, 6, 7, 8, 9
local MAX_DEPTH, MAX_BYTES = 100, 2 ^ 28 -- as in dev.ljasync.internal.Messages
local SMALL, LARGE = 256, 65536

local sbuf, scap, spos = new(bytes_t, SMALL), SMALL, 0
local path, keys = {}, {} -- the tables being encoded and the keys leading into them, outer to inner
-- The tables of this message written so far: how many, the first, and each after it to its number (made at the
-- second, so that a message of one table makes no more garbage).
local ntables, first, seen = 0, nil, nil

-- A __gc finalizer runs at any allocation, so it may send or receive while this state is in the middle of a send or
-- receive, whose buffers are the module's. `busy` says that one is; one that starts meanwhile swaps in buffers of
-- its own, runs protected, and swaps the outer ones back, error or not. `extra` counts the frames its pcall adds
-- below the caller, for error levels. An error of memory or of a finalizer raised out of an encode or decode leaves
-- `busy` set: later operations stay correct, each with buffers of its own.
local busy, extra = false, 0
-- The frames that pcall puts between its caller and the function it calls, for `extra`: 1 for LuaJIT's own, more
-- where the state's pcall is a Lua function that calls it (the sandbox's, in a state with os.exit as an error). Both
-- errors of the probe's line name that line when the first is raised from the frame k above pcall's callee.
local pcall_frames = 1
do
  local function up(n) error("", n) end
  for k = 1, 4 do
    local _, e = pcall(up, k + 2) local _, own = pcall(function() up(2) end)
    if e == own then
      pcall_frames = k
      break
    end
  end
end
local storing = false -- an error of the value being encoded says "store" (a shared table's) rather than "send"
local rbuf, rcap

local function nest()
  local outer = {sbuf, scap, spos, path, keys, rbuf, rcap, out, extra, ntables, first, seen, storing}
  sbuf, scap, spos, path, keys, ntables, first, seen = new(bytes_t, SMALL), SMALL, 0, {}, {}, 0, nil, nil
  rbuf, rcap, out, extra, storing = new(bytes_t, SMALL), SMALL, new("double[2]"), pcall_frames, false
  return outer
end

local function unnest(outer)
  sbuf, scap, spos, path, keys, rbuf, rcap, out, extra, ntables, first, seen, storing = unpack(outer, 1, 13)
  busy = true
end

local refuse

-- Room for n more bytes in sbuf; `depth` and `frames` as for refuse, for the error of a message grown too large.
local function reserve(n, depth, frames)
  local need = spos + n
  if need > scap then
    if need > MAX_BYTES then
      refuse(depth, frames + 1, "the message would be larger than 268435456 bytes (256 MB), the most a message may"
        .. " hold")
    end
    local cap = scap * 2
    while cap < need do
      cap = cap * 2
    end
    local grown = new(bytes_t, cap)
    copy(grown, sbuf, spos)
    sbuf, scap = grown, cap
  end
end

-- Where the value being encoded sits, e.g. value.jobs[2].
local function place(depth)
  local s = "value"
  for i = 1, depth - 1 do
    local k = keys[i]
    if type(k) == "string" and find and find(k, "^[%a_][%w_]*$") then
      s = s .. "." .. k
    elseif type(k) == "string" then
      s = s .. '["' .. k .. '"]'
    else
      s = s .. "[" .. tostring(k) .. "]"
    end
  end
  return s
end

-- Raises the error of a value that cannot be sent, at the line that called send: `depth` is the nesting of the
-- value (1: the value itself), and `frames` the calls between refuse and the encode at that depth (0 from encode,
-- 1 from encode_table). Below refuse are that encode, an encode_table and an encode for each table around the
-- value, then send, then the caller: no call in the encoder is a tail call.
function refuse(depth, frames, problem)
  local where = place(depth)
  -- nothing is sent: let go of the tables on the path and of a buffer grown for the message, rather than keep
  -- them until the next send (a nested send's unnest restores the outer buffers)
  for i = 1, depth do
    path[i], keys[i] = nil, nil
  end
  if scap > LARGE then
    sbuf, scap = new(bytes_t, SMALL), SMALL
  end
  busy, first, seen = false, nil, nil -- a nested send's unnest sets them again
  local verb = storing and "store " or "send "
  storing = false
  error(modname .. ": cannot " .. verb .. where .. ": " .. problem, 2 * depth + 2 + frames + extra)
end

local encode_table, encode_pointer

-- Scalars here, tables in encode_table: the table path loops (and `next` is not compiled by LuaJIT 2.1.0-beta3),
-- so it stays out of the function that a loop sending numbers or strings compiles into its trace.
local function encode(v, depth)
  local tv = type(v)
  if tv == "number" then
    reserve(9, depth, 0)
    sbuf[spos] = T_NUMBER
    cast(double_p, sbuf + spos + 1)[0] = v
    spos = spos + 9
  elseif tv == "string" then
    local n = #v
    reserve(5 + n, depth, 0)
    sbuf[spos] = T_STRING
    cast(uint32_p, sbuf + spos + 1)[0] = n
    copy(sbuf + spos + 5, v, n)
    spos = spos + 5 + n
  elseif tv == "table" then
    encode_table(v, depth)
  elseif tv == "boolean" then
    reserve(1, depth, 0)
    sbuf[spos] = v and T_TRUE or T_FALSE
    spos = spos + 1
  elseif tv == "nil" then
    reserve(1, depth, 0)
    sbuf[spos] = T_NIL
    spos = spos + 1
  elseif tv == "cdata" and istype(int64_t, v) then
    reserve(9, depth, 0)
    sbuf[spos] = T_INT64
    cast(int64_p, sbuf + spos + 1)[0] = v
    spos = spos + 9
  elseif tv == "cdata" and istype(uint64_t, v) then
    reserve(9, depth, 0)
    sbuf[spos] = T_UINT64
    cast(uint64_p, sbuf + spos + 1)[0] = v
    spos = spos + 9
  elseif tv == "cdata" and istype(executor_t, v) then
    refuse(depth, 0, "it is an executor, which is shared, not copied: send its handle() and sync.wrap() it on the"
      .. " other side")
  elseif tv == "cdata" and istype(future_t, v) then
    refuse(depth, 0, "it is a future, which belongs to the state that made it")
  elseif tv == "cdata" and kind_of(v) then
    refuse(depth, 0, "it is a " .. kind_of(v) .. ", which is shared, not copied: send its handle() and"
      .. " sync.wrap() it on the other side")
  elseif tv == "cdata" then
    encode_pointer(v, depth)
  else
    refuse(depth, 0, "it is a " .. tv .. ", which cannot be copied into another state")
  end
end

-- A pointer, array or struct crosses as its address; other cdata (an int, a double, a ctype) do not.
function encode_pointer(v, depth)
  local ok, p = pcall(new, void_p, v)
  if not ok then
    refuse(depth, 1, "it is a cdata of type " .. tostring(typeof(v)) .. "; of cdata, int64_t and uint64_t cross,"
      .. " and pointers, arrays and structs cross as their address")
  end
  reserve(9, depth, 1)
  sbuf[spos] = T_POINTER
  cast(uint64_p, sbuf + spos + 1)[0] = cast(uintptr_t, p)
  spos = spos + 9
end

function encode_table(t, depth)
  for i = 1, depth - 1 do
    if rawequal(path[i], t) then
      refuse(depth, 1, "it is a table that contains itself (a cyclic table cannot be copied)")
    end
  end
  local number -- tables compare raw: a table's __eq must not make two tables one
  if ntables > 0 then
    if rawequal(t, first) then
      number = 1
    else
      seen = seen or {}
      number = seen[t]
    end
  end
  if number then
    reserve(5, depth, 1)
    sbuf[spos] = T_REF
    cast(uint32_p, sbuf + spos + 1)[0] = number
    spos = spos + 5
    return
  end
  if depth > MAX_DEPTH then
    refuse(depth, 1, "tables nest more than " .. MAX_DEPTH .. " deep")
  end
  ntables = ntables + 1
  if ntables == 1 then
    first = t
  else
    seen[t] = ntables
  end
  path[depth] = t
  reserve(5, depth, 1)
  sbuf[spos] = T_TABLE
  local at = spos + 1
  spos = spos + 5
  local n = 0
  local k, x = next(t)
  while k ~= nil do
    local tk = type(k)
    if tk ~= "string" and tk ~= "number" and tk ~= "boolean" then
      refuse(depth, 1, "it has a key of type " .. tk .. " (" .. tostring(k) .. "); keys are strings, numbers and"
        .. " booleans")
    end
    keys[depth] = k
    encode(k, depth + 1)
    encode(x, depth + 1)
    n = n + 1
    k, x = next(t, k)
  end
  cast(uint32_p, sbuf + at)[0] = n -- sbuf may have grown since: `at` is an offset
  path[depth], keys[depth] = nil, nil -- a sent key, however large, is not kept either
end

-- ---- decoding -----------------------------------------------------------------------------------------------------

rbuf, rcap = new(bytes_t, SMALL), SMALL

local new_table = (function()
  local ok, table_new = pcall(require, "table.new")
  return ok and table_new or function() return {} end
end)()

local function corrupt()
  busy = false -- as in refuse
  error(modname .. ": a message is corrupt", 0)
end

local decode_table

-- The value at p[pos] and the position after it; tables in decode_table, as for encode. `refs` holds the tables
-- decoded so far, in order (nil in a message that is not a table).
local function decode(p, pos, limit, refs)
  if pos >= limit then
    corrupt()
  end
  local tag = p[pos]
  if tag == T_NUMBER then
    return cast(double_p, p + pos + 1)[0], pos + 9
  elseif tag == T_STRING then
    local n = cast(uint32_p, p + pos + 1)[0]
    if pos + 5 + n > limit then
      corrupt()
    end
    return fstring(p + pos + 5, n), pos + 5 + n
  elseif tag == T_TABLE then
    return decode_table(p, pos, limit, refs)
  elseif tag == T_TRUE then
    return true, pos + 1
  elseif tag == T_FALSE then
    return false, pos + 1
  elseif tag == T_NIL then
    return nil, pos + 1
  elseif tag == T_INT64 then
    return cast(int64_p, p + pos + 1)[0], pos + 9
  elseif tag == T_UINT64 then
    return cast(uint64_p, p + pos + 1)[0], pos + 9
  elseif tag == T_POINTER then
    return cast(void_p, cast(uint64_p, p + pos + 1)[0]), pos + 9
  elseif tag == T_REF and refs then
    local t = refs[cast(uint32_p, p + pos + 1)[0]]
    if t == nil then
      corrupt()
    end
    return t, pos + 5
  end
  corrupt()
end

function decode_table(p, pos, limit, refs)
  local n = cast(uint32_p, p + pos + 1)[0]
  local t = new_table(0, n < 64 and n or 64)
  refs[#refs + 1] = t
  pos = pos + 5
  local k, v
  for _ = 1, n do
    k, pos = decode(p, pos, limit, refs)
    v, pos = decode(p, pos, limit, refs)
    t[k] = v
  end
  return t, pos
end

-- The value of the message in rbuf[0, n), or in p[0, n).
local function decode_message(n, p)
  p = p or rbuf
  local v, pos = decode(p, 0, n, n > 0 and p[0] == T_TABLE and {} or nil)
  if pos ~= n then
    corrupt()
  end
  if rcap > LARGE then
    rbuf, rcap = new(bytes_t, SMALL), SMALL -- let a buffer grown for one large message go
  end
  return v
end

-- ---- channels -------------------------------------------------------------------------------------------------------

function Channel.send(self, value, timeout)
  check(channel_t, self, "channel", "send", 2)
  local t = seconds(timeout, 2)
  local r
  if busy then
    local outer = nest()
    local ok, e = pcall(encode, value, 1)
    if ok then
      r = sync_call(SEND, self.id, sbuf, spos, t, nil)
    end
    unnest(outer)
    if not ok then
      error(e, 0)
    end
  elseif type(value) == "number" then -- in out[0], as a number: nothing to encode, and a receiver decodes nothing
    out[0] = value
    r = sync_call(SEND_NUMBER, self.id, nil, 0, t, out)
  else
    busy = true
    spos, ntables = 0, 0
    encode(value, 1) -- raises at the caller's line for a value that cannot be sent: nothing is sent then
    r = sync_call(SEND, self.id, sbuf, spos, t, nil)
    busy, first, seen = false, nil, nil
    if scap > LARGE then
      sbuf, scap = new(bytes_t, SMALL), SMALL
    end
  end
  if r >= 0 then
    return true
  elseif r == TIMEOUT then
    return false, "timeout"
  elseif r == CLOSED then
    error(modname .. ": send on a closed channel (" .. tostring(self) .. ")", 2)
  end
  fail("send", r, 2)
end

-- A message larger than rbuf stays first in the channel: grow rbuf and ask again, for what is left of the timeout
-- (out[1]), until it fits. Out of line, so that receive itself has no loop: LuaJIT compiles no loop nested in the
-- loop that calls receive.
local function receive_large(id)
  local r = TOO_SMALL
  while r == TOO_SMALL do
    local need, cap = out[0], rcap * 2
    while cap < need do
      cap = cap * 2
    end
    rbuf, rcap = new(bytes_t, cap), cap
    r = sync_call(RECEIVE, id, rbuf, rcap, out[1], out)
  end
  return r
end

-- The status of a receive and the value received: a number sent as one comes in out[0].
local function take(id, t)
  local r = sync_call(RECEIVE, id, rbuf, rcap, t, out)
  if r == NUMBER then
    return 0, out[0]
  elseif r == TOO_SMALL then
    r = receive_large(id)
  end
  if r >= 0 then
    return r, decode_message(r)
  end
  return r
end

function Channel.receive(self, timeout)
  check(channel_t, self, "channel", "receive", 2)
  local t = seconds(timeout, 2)
  local r, v
  if busy then -- as in send
    local outer = nest()
    local ok
    ok, r, v = pcall(take, self.id, t)
    unnest(outer)
    if not ok then
      error(r, 0)
    end
  else
    busy = true
    r, v = take(self.id, t)
    busy = false
  end
  if r >= 0 then
    return v
  elseif r == TIMEOUT then
    return nil, "timeout"
  elseif r == CLOSED then
    return nil, "closed"
  end
  fail("receive", r, 2)
end

function Channel.close(self)
  check(channel_t, self, "channel", "close", 2)
  local r = sync_call(CLOSE, self.id, nil, 0, 0, nil)
  if r < 0 then
    fail("close", r, 2)
  end
end

local function query(self, what, name, level)
  local r = sync_call(QUERY, self.id, nil, what, 0, nil)
  if r < 0 then
    fail(name, r, level + 1)
  end
  return r
end

function Channel.is_closed(self)
  check(channel_t, self, "channel", "is_closed", 2)
  return query(self, IS_CLOSED, "is_closed", 2) ~= 0
end

function Channel.size(self)
  check(channel_t, self, "channel", "size", 2)
  local n = query(self, SIZE, "size", 2)
  return n
end

-- ---- mutexes ------------------------------------------------------------------------------------------------------

-- A wait with an optional timeout in seconds (lock, acquire): true once done, false when the timeout passed.
-- `level` is the error level of the caller's caller.
local function timed_wait(op, self, timeout, name, level)
  local r = sync_call(op, self.id, nil, 0, seconds(timeout, level + 1), nil)
  if r >= 0 then
    return true
  elseif r == TIMEOUT then
    return false
  end
  fail(name, r, level + 1)
end

function Mutex.lock(self, timeout)
  check(mutex_t, self, "mutex", "lock", 2)
  local done = timed_wait(LOCK, self, timeout, "lock", 2) -- not a tail call: error levels count this frame
  return done
end

function Mutex.unlock(self)
  check(mutex_t, self, "mutex", "unlock", 2)
  local r = sync_call(UNLOCK, self.id, nil, 0, 0, nil)
  if r == NOT_OWNER then
    error(modname .. ": unlock of " .. tostring(self) .. ", which this thread does not hold", 2)
  elseif r < 0 then
    fail("unlock", r, 2)
  end
end

function Mutex.is_locked(self)
  check(mutex_t, self, "mutex", "is_locked", 2)
  return query(self, IS_LOCKED, "is_locked", 2) ~= 0
end

function Mutex.is_held(self)
  check(mutex_t, self, "mutex", "is_held", 2)
  return query(self, IS_HELD, "is_held", 2) ~= 0
end

-- ---- semaphores ---------------------------------------------------------------------------------------------------

function Semaphore.acquire(self, timeout)
  check(semaphore_t, self, "semaphore", "acquire", 2)
  local done = timed_wait(ACQUIRE, self, timeout, "acquire", 2) -- not a tail call, as in Mutex.lock
  return done
end

function Semaphore.release(self, n)
  check(semaphore_t, self, "semaphore", "release", 2)
  local r = sync_call(RELEASE_PERMITS, self.id, nil, n == nil and 1 or count(n, "a release", 1, 2), 0, nil)
  if r < 0 then
    fail("release", r, 2)
  end
end

function Semaphore.available(self)
  check(semaphore_t, self, "semaphore", "available", 2)
  local n = query(self, AVAILABLE, "available", 2)
  return n
end

-- ---- select -------------------------------------------------------------------------------------------------------

-- [0] where the look starts (0-based), and on return the channel chosen; [1], [2] the size of a message too large
-- for rbuf and the seconds left (as out for receive); [3] on the channels' handles. `selcap` doubles, grown as
-- needed.
local sel_t = typeof("double[?]")
local sel, selcap = nil, 0
local turn = 0 -- where this state's next select starts its look: a busy channel does not starve the ones after it

-- Runs f(...) as an operation nested in another of this state (a __gc finalizer's): with buffers of its own,
-- protected, the outer ones back after it, error or not (see `busy`). `extra` counts the frames below f: pcall's,
-- nested and the method that called nested (not as a tail call).
local function nested(f, ...)
  local outer, osel, oselcap = nest(), sel, selcap
  sel, selcap, busy, extra = nil, 0, false, pcall_frames + 2
  local ok, a, b, c = pcall(f, ...)
  sel, selcap = osel, oselcap
  unnest(outer)
  if not ok then
    error(a, 0)
  end
  return a, b, c
end

-- A message larger than rbuf stays first in the channel the select chose: grow rbuf and select again, from the same
-- start and for what is left of the timeout, until it fits. Out of line, as receive_large.
local function select_large(n)
  local r, start = TOO_SMALL, sel[0]
  while r == TOO_SMALL do
    local need, cap = sel[1], rcap * 2
    while cap < need do
      cap = cap * 2
    end
    rbuf, rcap = new(bytes_t, cap), cap
    sel[0] = start -- the same look again: the message stays first in its channel
    r = sync_call(SELECT, n, rbuf, rcap, sel[2], sel)
  end
  return r
end

-- The status of a select of channels[1, n], the channel chosen (1-based) and the value received.
local function select_channels(channels, n, t)
  if n + 3 > selcap then
    sel, selcap = new(sel_t, n + 8), n + 8 -- before busy is set: a finalizer may run here
  end
  busy = true
  for i = 1, n do
    sel[2 + i] = channels[i].id
  end
  sel[0] = turn % n
  turn = turn + 1
  local r = sync_call(SELECT, n, rbuf, rcap, t, sel)
  if r == TOO_SMALL then
    r = select_large(n)
  end
  local index, v = sel[0] + 1, nil
  if r >= 0 then
    v = decode_message(r)
  end
  busy = false
  return r, index, v
end

-- ---- shared tables ------------------------------------------------------------------------------------------------
-- A request is encoded into sbuf (a key, then the operation's values) and its reply (a value, the pairs of a
-- snapshot) comes back over it; out[0] carries the request's length in, and the size of a reply too large for sbuf
-- back, out[1] an increment's result.

local function table_large(op, id)
  local r = TOO_SMALL
  while r == TOO_SMALL do
    local cap = scap * 2
    while cap < out[0] do
      cap = cap * 2
    end
    local grown = new(bytes_t, cap)
    copy(grown, sbuf, spos) -- the request, to ask again
    sbuf, scap = grown, cap
    out[0] = spos
    r = sync_call(op, id, sbuf, scap, 0, out)
  end
  return r
end

-- Sends the request in sbuf[0, spos); the result.
local function table_call(op, id)
  out[0] = spos
  local r = sync_call(op, id, sbuf, scap, 0, out)
  if r == TOO_SMALL then
    r = table_large(op, id)
  end
  return r
end

-- Ends an operation that used sbuf, letting a buffer grown for a large value go.
local function table_done()
  busy, first, seen = false, nil, nil
  if scap > LARGE then
    sbuf, scap = new(bytes_t, SMALL), SMALL
  end
end

-- A key of a shared table or a keeper (`what`): a string, a boolean or a number other than NaN.
local function check_key(k, method, level, what)
  local tk = type(k)
  if tk ~= "string" and tk ~= "boolean" and (tk ~= "number" or k ~= k) then
    error(modname .. ": " .. (what or "shared table") .. ":" .. method .. ": a key is a string, a boolean or a number,"
      .. " not "
      .. (tk == "number" and "NaN" or tk == "nil" and "nil" or "a " .. (kind_of(k) or tk)), level + 1)
  end
end

-- The pairs of a snapshot in sbuf[0, n), as a new table.
local function decode_pairs(n)
  local t, pos, k, v = new_table(0, 8), 0, nil, nil
  while pos < n do
    k, pos = decode(sbuf, pos, n, nil)
    v, pos = decode(sbuf, pos, n, pos < n and sbuf[pos] == T_TABLE and {} or nil)
    if k == nil then
      corrupt()
    end
    t[k] = v
  end
  if pos ~= n then
    corrupt()
  end
  return t
end

function SharedTable.get(self, k)
  check(table_t, self, "shared table", "get", 2)
  check_key(k, "get", 2)
  if busy then
    local v = nested(SharedTable.get, self, k)
    return v
  end
  busy = true
  spos, ntables = 0, 0
  encode(k, 1)
  local r = table_call(TABLE_GET, self.id)
  local v
  if r >= 0 then
    v = decode_message(r, sbuf)
  end
  table_done()
  if r < 0 then
    fail("get", r, 2)
  end
  return v
end

function SharedTable.set(self, k, v)
  check(table_t, self, "shared table", "set", 2)
  check_key(k, "set", 2)
  if busy then
    nested(SharedTable.set, self, k, v)
    return
  end
  busy = true
  spos, ntables = 0, 0
  encode(k, 1)
  storing = true
  encode(v, 1) -- raises at the caller's line for a value that cannot be stored: nothing changes then
  storing = false
  local r = table_call(TABLE_SET, self.id)
  table_done()
  if r < 0 then
    fail("set", r, 2)
  end
end

function SharedTable.cas(self, k, old, v)
  check(table_t, self, "shared table", "cas", 2)
  check_key(k, "cas", 2)
  local to = type(old)
  if to == "table" or to == "function" or to == "thread" or to == "userdata"
    or (to == "cdata" and not (istype(int64_t, old) or istype(uint64_t, old))) then
    error(modname .. ": shared table:cas compares scalars: the old value is nil, a boolean, a number, a string or"
      .. " an int64_t/uint64_t, not a " .. (kind_of(old) or to), 2)
  end
  if busy then
    local done = nested(SharedTable.cas, self, k, old, v)
    return done
  end
  busy = true
  spos, ntables = 0, 0
  encode(k, 1)
  encode(old, 1)
  storing = true
  encode(v, 1) -- as in set
  storing = false
  local r = table_call(TABLE_CAS, self.id)
  table_done()
  if r < 0 then
    fail("cas", r, 2)
  end
  return r == 1
end

function SharedTable.increment(self, k, by)
  check(table_t, self, "shared table", "increment", 2)
  check_key(k, "increment", 2)
  if by == nil then
    by = 1
  elseif type(by) ~= "number" then
    error(modname .. ": shared table:increment adds a number, not " .. (kind_of(by) or type(by)), 2)
  end
  if busy then
    local n = nested(SharedTable.increment, self, k, by)
    return n
  end
  busy = true
  spos = 0
  encode(k, 1)
  encode(by, 1)
  local r = table_call(TABLE_INCREMENT, self.id)
  local n = out[1]
  busy = false
  if r < 0 then
    fail("increment", r, 2)
  end
  return n
end

function SharedTable.snapshot(self)
  check(table_t, self, "shared table", "snapshot", 2)
  if busy then
    local t = nested(SharedTable.snapshot, self)
    return t
  end
  busy = true
  spos = 0
  local r = table_call(TABLE_SNAPSHOT, self.id)
  local t
  if r >= 0 then
    t = decode_pairs(r)
  end
  table_done()
  if r < 0 then
    fail("snapshot", r, 2)
  end
  return t
end

function SharedTable.clear(self)
  check(table_t, self, "shared table", "clear", 2)
  local r = sync_call(TABLE_CLEAR, self.id, nil, 0, 0, nil)
  if r < 0 then
    fail("clear", r, 2)
  end
end

function SharedTable.size(self)
  check(table_t, self, "shared table", "size", 2)
  local n = query(self, SIZE, "size", 2)
  return n
end

-- ---- keepers (lj-async.keeper) ---------------------------------------------------------------------------------
-- For each key (a string, number or boolean), a queue of values. The key's message and the value's go to Java one
-- after the other, the key's length as the timeout argument; a receive's keys go the same way, and the value comes
-- back in their place, the number of its key in out[0].

-- Encodes the arguments one after the other into sbuf; returns the length of the first.
local function encode_all(n, ...)
  spos, ntables = 0, 0
  local first_length
  for i = 1, n do
    encode((select(i, ...)), 1)
    first_length = first_length or spos
    first, seen = nil, nil
  end
  return first_length
end

function Keeper.send(self, key, value)
  check(keeper_t, self, "keeper", "send", 2)
  check_key(key, "send", 2, "keeper")
  local r
  if busy then -- as in Channel.send
    local outer = nest()
    local ok, e = pcall(encode_all, 2, key, value)
    r = ok and sync_call(KEEPER_SEND, self.id, sbuf, spos, e, nil)
    unnest(outer)
    if not ok then
      error(e, 0)
    end
  else
    busy = true
    spos, ntables = 0, 0
    encode(key, 1)
    local key_length = spos
    encode(value, 1) -- raises at the caller's line, as Channel.send does
    r = sync_call(KEEPER_SEND, self.id, sbuf, spos, key_length, nil)
    busy, first, seen = false, nil, nil
    if scap > LARGE then
      sbuf, scap = new(bytes_t, SMALL), SMALL
    end
  end
  if r < 0 then
    fail("send", r, 2)
  end
end

-- The status of a keeper's receive, and the number of the key and the value.
local function take_keyed(id, t, n, ...)
  encode_all(n, ...)
  local nkeys = spos
  if rcap < nkeys then
    rbuf, rcap = new(bytes_t, nkeys), nkeys
  end
  copy(rbuf, sbuf, nkeys)
  out[0] = rcap
  local r = sync_call(KEEPER_RECEIVE, id, rbuf, nkeys, t, out)
  while r == TOO_SMALL do
    local need, cap = out[0], rcap * 2
    while cap < need do
      cap = cap * 2
    end
    rbuf, rcap = new(bytes_t, cap), cap
    copy(rbuf, sbuf, nkeys)
    t, out[0] = out[1], rcap
    r = sync_call(KEEPER_RECEIVE, id, rbuf, nkeys, t, out)
  end
  if r >= 0 then
    local which = out[0]
    return r, which, decode_message(r)
  end
  return r
end

local function keeper_receive(self, timeout, method, ...)
  local n = select("#", ...)
  if n == 0 then
    error(modname .. ": keeper:" .. method .. " needs at least one key", 3)
  end
  for i = 1, n do
    check_key((select(i, ...)), method, 3, "keeper")
  end
  local r, which, v
  if busy then
    local outer = nest()
    local ok
    ok, r, which, v = pcall(take_keyed, self.id, timeout, n, ...)
    unnest(outer)
    if not ok then
      error(r, 0)
    end
  else
    busy = true
    r, which, v = take_keyed(self.id, timeout, n, ...)
    busy = false
  end
  if r >= 0 then
    return (select(which, ...)), v
  elseif r == TIMEOUT then
    return nil
  end
  fail(method, r, 3)
end

--- The key and the first value of the first of the keys that has one, or nil at once when none has (as in
--- lj-async's fork, which could only poll).
function Keeper.receive(self, ...)
  check(keeper_t, self, "keeper", "receive", 2)
  local k, v = keeper_receive(self, 0, "receive", ...)
  return k, v
end

--- As receive, waiting up to `timeout` seconds (nil: as long as it takes) for a value under one of the keys.
function Keeper.receive_timeout(self, timeout, ...)
  check(keeper_t, self, "keeper", "receive_timeout", 2)
  local k, v = keeper_receive(self, seconds(timeout, 2), "receive_timeout", ...)
  return k, v
end

--- Drops every value waiting under `key`; returns how many there were.
function Keeper.clear(self, key)
  check(keeper_t, self, "keeper", "clear", 2)
  check_key(key, "clear", 2, "keeper")
  if busy then
    error(modname .. ": keeper:clear cannot run inside another send or receive (a __gc finalizer)", 2)
  end
  busy = true
  encode_all(1, key)
  local r = sync_call(KEEPER_CLEAR, self.id, sbuf, spos, 0, nil)
  busy = false
  if r < 0 then
    fail("clear", r, 2)
  end
  return r
end

-- ---- messages for the library's other operations ------------------------------------------------------------------

-- The operation with the bytes of a Lua string as its data (the entry takes a void *).
local function call_with(op, id, s, timeout, result)
  local b = new(bytes_t, #s)
  copy(b, s, #s)
  return sync_call(op, id, b, #s, timeout, result)
end

-- The bytes that an operation copies into a buffer it is given, asked again with a larger one when they did not
-- fit: the buffer and their length, or nil and the failed status.
local function read(op, id)
  local size = 256
  while true do
    local b = new(bytes_t, size)
    local n = sync_call(op, id, b, size, 0, nil)
    if n < 0 then
      return nil, n
    elseif n <= size then
      return b, n
    end
    size = n
  end
end

-- A value's message, as a Lua string.
local function message_of(value)
  if busy then
    local outer = nest()
    local ok, e = pcall(encode, value, 1)
    local bytes = ok and fstring(sbuf, spos)
    unnest(outer)
    if not ok then
      error(e, 0)
    end
    return bytes
  end
  busy = true
  spos, ntables = 0, 0
  encode(value, 1)
  busy, first, seen = false, nil, nil
  return fstring(sbuf, spos)
end

-- The value of the message at p[0, n).
local function value_of(p, n)
  local v, pos = decode(p, 0, n, n > 0 and p[0] == T_TABLE and {} or nil)
  if pos ~= n then
    corrupt()
  end
  return v
end

-- The values of results that an operation copies (a thread's, a task's): their count (a uint32), then each message
-- after its length (a uint32). None when the operation has none (-1: a thread that did not finish); another failure
-- raises the error of method `what` at the caller's caller, when given.
local function results_of(op, id, what)
  local b, n = read(op, id)
  if b == nil then
    if what and n ~= -1 then
      fail(what, n, 3)
    end
    return
  end
  local n, values, at = cast(uint32_p, b)[0], {}, 4
  for i = 1, n do
    local length = cast(uint32_p, b + at)[0]
    values[i] = value_of(b + at + 4, length)
    at = at + 4 + length
  end
  return unpack(values, 1, n)
end

-- ---- executors (dev.ljasync.LuaExecutor) ----------------------------------------------------------------------------
-- An executor is held in Java for its wrapper, and shut down once the wrapper is collected (its queued tasks still
-- run, for futures held elsewhere); each future is held the same way. Arguments cross as one message, a table of
-- them with their count in n; results as one message each, as a thread's do. In between they are the Java task's
-- values (dev.ljasync.LjAsyncExecutors), whose whole numbers are Longs: a whole number past 2^53 arrives as an
-- int64_t, an int64_t that a double holds as a number.

local DROP, EXECUTOR_NEW, EXECUTOR_SUBMIT, EXECUTOR_STOP, FUTURE_WAIT, FUTURE_STATE, FUTURE_RESULTS, FUTURE_ERROR,
  FUTURE_CANCEL, EXECUTOR_RETAIN = 60, 66, 67, 68, 69, 70, 71, 72, 73, 74
local RUNNING, SUCCEEDED, CANCELLED = 0, 1, 3
local stopped = setmetatable({}, {__mode = "k"}) -- an executor -> "shut down" or "closed"

local function held(name, methods)
  return metatype("struct { const double id; }", {
    __index = methods,
    __gc = function(self)
      sync_call(DROP, self.id, nil, 0, 0, nil)
    end,
    __tostring = function(self)
      return name .. " " .. tostring(self.id)
    end,
  })
end
executor_t, future_t = held("executor", Executor), held("future", Future)

local function enqueue(self, method, what, key, ...)
  check(executor_t, self, "executor", method, 3)
  if type(what) ~= "string" then
    error(modname .. ": executor:" .. method .. " takes " .. (key == "source" and "Lua source" or "a function's name")
      .. " (a string), not " .. (kind_of(what) and "a " .. kind_of(what) or "a " .. type(what)), 3)
  end
  if stopped[self] then
    error(modname .. ": executor:" .. method .. ": this executor is " .. stopped[self] .. ": it takes no new tasks",
      3)
  end
  local r = call_with(EXECUTOR_SUBMIT, self.id, message_of({[key] = what, args = {n = select("#", ...), ...}}), 0,
    nil)
  if r < 0 then
    fail(method, r, 3)
  end
  return new(future_t, r)
end

--- Runs Lua source as a chunk (named "task") on a worker, with the arguments as its `...`: a future of its results.
function Executor.submit(self, source, ...)
  local f = enqueue(self, "submit", source, "source", ...)
  return f
end

--- Calls a function of the workers' states (one the setup defined) by its global or dotted name: a future.
function Executor.call(self, name, ...)
  local f = enqueue(self, "call", name, "call", ...)
  return f
end

local function stop(self, method, wait)
  check(executor_t, self, "executor", method, 3)
  local r = sync_call(EXECUTOR_STOP, self.id, nil, wait and 1 or 0, 0, nil)
  if r < 0 then
    fail(method, r, 3)
  end
  if stopped[self] ~= "closed" then
    stopped[self] = wait and "closed" or "shut down"
  end
end

--- The executor's handle: sync.wrap(handle) in another state (or this one) gives an executor object there that
--- submits to the same workers. It runs until every such object has been collected, or one shuts it down.
function Executor.handle(self)
  check(executor_t, self, "executor", "handle", 2)
  return self.id
end

--- Takes no new tasks; the queued ones still run.
function Executor.shutdown(self)
  stop(self, "shutdown", false)
end

--- Shuts down and waits for the queued and running tasks to end.
function Executor.close(self)
  stop(self, "close", true)
end

local function future_op(self, op, method)
  check(future_t, self, "future", method, 3)
  local r = sync_call(op, self.id, nil, 0, 0, nil)
  if r < 0 then
    fail(method, r, 3)
  end
  return r
end

--- Waits up to `timeout` seconds (nil: as long as it takes) for the task: true and its results; false and its error
--- with its traceback (or "cancelled"); nil, "timeout".
function Future.get(self, timeout)
  check(future_t, self, "future", "get", 2)
  local r = sync_call(FUTURE_WAIT, self.id, nil, 0, seconds(timeout, 2), nil)
  if r == 0 then
    return nil, "timeout"
  elseif r < 0 then
    fail("get", r, 2)
  end
  local state = future_op(self, FUTURE_STATE, "get")
  if state == SUCCEEDED then
    return true, results_of(FUTURE_RESULTS, self.id, "get")
  elseif state == CANCELLED then
    return false, "cancelled"
  end
  local b, n = read(FUTURE_ERROR, self.id)
  if b == nil then
    fail("get", n, 2)
  end
  return false, fstring(b, n)
end

--- Whether the task has ended (returned, failed or been cancelled).
function Future.done(self)
  return future_op(self, FUTURE_STATE, "done") ~= RUNNING
end

--- Cancels the task: a queued one never runs; a running one stops on a cancellable executor. Whether it did.
function Future.cancel(self)
  return future_op(self, FUTURE_CANCEL, "cancel") == 1
end

local executor_options = {workers = "number", setup = "string", reset_globals = "boolean", cancellable = "boolean"}
local refused_by_copy = false

-- ---- the module -----------------------------------------------------------------------------------------------------

local sync = {}

--- A new LuaExecutor whose workers' states open what this state opened; see the top of this file.
function sync.executor(options)
  options = options == nil and {} or options
  if type(options) ~= "table" then
    error(modname .. ": executor takes a table of options, not a " .. (kind_of(options) or type(options)), 2)
  end
  for k, v in next, options do
    local expected = executor_options[k]
    if expected == nil then
      error(modname .. ": unknown executor option " .. tostring(k)
        .. " (the options are workers, setup, reset_globals and cancellable)", 2)
    elseif type(v) ~= expected then
      error(modname .. ": executor option " .. k .. " is a " .. expected .. ", not a " .. type(v), 2)
    end
  end
  local workers = options.workers == nil and 1 or count(options.workers, "an executor's workers", 1, 2)
  if not refused_by_copy then -- a function's upvalue that is an executor cannot be copied into another state
    refused_by_copy = true
    local copying = require("ljasync.copy")
    copying.refuse(executor_t, "is an executor of ljasync.sync, which is shared, not copied: pass its handle() and"
      .. " sync.wrap() it there")
    copying.refuse(future_t, "is a future of ljasync.sync, which belongs to the state that made it")
  end
  local r = call_with(EXECUTOR_NEW, 0, message_of({workers = workers, setup = options.setup,
    reset_globals = options.reset_globals, cancellable = options.cancellable, state = state_id}), 0, nil)
  if r < 0 then
    fail("executor", r, 2)
  end
  return new(executor_t, r)
end

-- A new handle's wrapper; the handle already carries the wrapper's reference.
local function made(ct, r, what)
  if r < 0 then
    fail(what, r, 3)
  end
  local w = new(ct, r)
  return w
end

channel_t = wrapper("channel", Channel)
mutex_t = wrapper("mutex", Mutex, function(ct)
  local m = made(ct, sync_call(NEW_MUTEX, 0, nil, 0, 0, nil), "mutex")
  return m
end)
semaphore_t = wrapper("semaphore", Semaphore)
table_t = wrapper("shared table", SharedTable)
keeper_t = wrapper("keeper", Keeper)

-- Destroys a wrapper at once rather than when it is collected: lj-async's mutex:destroy(). Once only.
local destroyed = setmetatable({}, {__mode = "k"})
local function destroy(self)
  if not destroyed[self] and kind_of(self) then
    destroyed[self] = true
    gc(self, nil)
    sync_call(RELEASE, self.id, nil, 0, 0, nil)
  end
end
Mutex.destroy = destroy
Keeper.destroy = destroy

--- A new channel: unbounded, or holding at most `capacity` values.
function sync.channel(capacity)
  local size = capacity == nil and 0 or count(capacity, "a channel's capacity", 1, 2)
  local ch = made(channel_t, sync_call(NEW_CHANNEL, 0, nil, size, 0, nil), "channel")
  return ch
end

--- A new, unlocked mutex.
function sync.mutex()
  local m = made(mutex_t, sync_call(NEW_MUTEX, 0, nil, 0, 0, nil), "mutex")
  return m
end

--- A new keeper: values queued under keys, as lj-async's fork has them (lj-async.keeper).
function sync.keeper()
  local k = made(keeper_t, sync_call(NEW_KEEPER, 0, nil, 0, 0, nil), "keeper")
  return k
end

--- A new semaphore with `permits` free permits (0 by default).
function sync.semaphore(permits)
  local n = permits == nil and 0 or count(permits, "a semaphore's permits", 0, 2)
  local s = made(semaphore_t, sync_call(NEW_SEMAPHORE, 0, nil, n, 0, nil), "semaphore")
  return s
end

--- A new, empty shared table.
function sync.table()
  local t = made(table_t, sync_call(NEW_TABLE, 0, nil, 0, 0, nil), "table")
  return t
end

--- Receives from whichever of `channels` (a sequence of channels) has a value first, waiting at most `timeout`
--- seconds (none: as long as it takes): `index, value`; `index, nil, "closed"` for a closed, empty channel;
--- `nil, nil, "timeout"`. The look starts at a rotating index, so a busy channel does not starve the others.
function sync.select(channels, timeout)
  if type(channels) ~= "table" then
    error(modname .. ": select takes a table of channels (and a timeout), not " .. (kind_of(channels)
      and "a " .. kind_of(channels) or "a " .. type(channels)), 2)
  end
  local n = #channels
  if n == 0 then
    error(modname .. ": select needs at least one channel; the table is empty", 2)
  end
  for i = 1, n do
    local ch = channels[i]
    if not istype(channel_t, ch) then
      error(modname .. ": select takes channels; item " .. i .. " is " .. (kind_of(ch) and "a " .. kind_of(ch)
        or ch == nil and "nil" or "a " .. type(ch)), 2)
    end
  end
  local t = seconds(timeout, 2)
  local r, index, v
  if busy then
    r, index, v = nested(select_channels, channels, n, t)
  else
    r, index, v = select_channels(channels, n, t)
  end
  if r >= 0 then
    return index, v
  elseif r == CLOSED then
    return index, nil, "closed"
  elseif r == TIMEOUT then
    return nil, nil, "timeout"
  end
  fail("select", r, 2)
end

--- The channel, mutex, semaphore or shared table that a handle names (a wrapper is returned as it is).
function sync.wrap(handle)
  if kind_of(handle) then
    return handle
  end
  if type(handle) ~= "number" or handle < 1 or handle % 1 ~= 0 then
    error(modname .. ": wrap takes the handle of a channel, mutex, semaphore, keeper, shared table or executor (a"
      .. " whole number), not "
      .. (type(handle) == "number" and tostring(handle) or "a " .. type(handle)), 2)
  end
  local kind = sync_call(RETAIN, handle, nil, 0, 0, nil)
  if kind == KIND_CHANNEL then
    return new(channel_t, handle)
  elseif kind == KIND_MUTEX then
    return new(mutex_t, handle)
  elseif kind == KIND_SEMAPHORE then
    return new(semaphore_t, handle)
  elseif kind == KIND_TABLE then
    return new(table_t, handle)
  elseif kind == KIND_KEEPER then
    return new(keeper_t, handle)
  elseif kind == NO_OBJECT then
    if sync_call(EXECUTOR_RETAIN, handle, nil, 0, 0, nil) == 1 then
      return new(executor_t, handle)
    end
    error(modname .. ": no channel, mutex, semaphore, keeper, shared table or executor has handle "
      .. tostring(handle) .. " (it was released once nothing referred to it any more, or never existed)", 2)
  end
  fail("wrap", kind, 2)
end

--- "channel", "mutex", "semaphore", "shared table" or "keeper" for one of those (or a pointer to one), else nil.
sync.kind = kind_of

-- For the library's own modules (lj-async.*, ljasync.copy): the entry, the errors of failed operations and of bad
-- timeouts, the mutex type, and the encoding of values as bytes.
sync._private = {
  call = sync_call,
  fail = fail,
  seconds = seconds,
  mutex_t = mutex_t,
  -- raises the error of a failed operation of module `name` at `level` (1: the function that calls it)
  failed = function(name, what, status, level)
    error(name .. ": " .. what .. ": " .. why(status), level + 1)
  end,
  call_with = call_with,
  read = read,
  encode = message_of,
  decode = value_of,
  results = results_of,
}

return sync
