-- lj-async.callback: lj-async's callbacks, made by this library's Java side (dev.ljasync.Callback), so that they
-- are the same safe callbacks Java makes.
--
--   local CallbackFactory = require "lj-async.callback"
--   local MyCallback_t = CallbackFactory("void(*)(int)")  -- a C function pointer type, as a string
--   local cb = MyCallback_t(f [, ...])                    -- f: a function (copied with its upvalues) or Lua source
--   cb:funcptr()                                          -- the pointer, a cdata of that type; any thread may call it
--   cb:free()                                             -- closes the callback (waits for calls in flight)
--   cb:errors(), cb:last_error()                          -- failed calls so far; the last one's error and traceback
--   cb:calls(), cb:refusals(), cb:wait_time()             -- calls that ran; refused calls; seconds spent waiting
--
--   local Queued_t = CallbackFactory("void(*)(int)", {queued = 256, full = "drop", states = 2})
--   cb:queue_stats()                                      -- {queued=, dropped=, ran=, discarded=, pending=}
--   cb:free_now()                                         -- closes, discarding the queued calls: how many
--
-- The options: queued, the capacity of a queue that calls go to and return at once (a void result only; 1 to
-- 1048576); full, what a call does when it is full: "block" (wait for room, the default) or "drop"; states, how
-- many states serve the calls (1 to 256, 1 by default), for a direct callback too.
--
-- Without init args, f serves the calls (lj-async); with them, f is called once in the new state with them and
-- returns the function that does (lj-async's fork). The new state opens what this state opened. A Lua error in a
-- call gives the native caller the zero of the result type, and goes with its traceback to the callback's error
-- handler (a warning on the System.Logger named dev.ljasync.Callback), never to LuaJIT's panic. A callback whose
-- object is collected is closed; native code must not call it after that, as with lj-async.
local modname, _, state_id = ...
local ffi = require("ffi")
local sync = require("ljasync.sync")
local copy = require("ljasync.copy")
local ctype_of = require("ljasync.ctype")
local private = sync._private
local call, call_with, read, encode = private.call, private.call_with, private.read, private.encode
local type, error, select, pcall, setmetatable, tostring, pairs, next = type, error, select, pcall, setmetatable,
  tostring, pairs, next
local new, cast, fstring, metatype = ffi.new, ffi.cast, ffi.string, ffi.metatype

-- the operations of dev.ljasync.LjAsync
local CALLBACK_NEW, CALLBACK_FREE, CALLBACK_ERRORS, CALLBACK_LAST_ERROR, DROP = 50, 51, 52, 53, 60
local CALLBACK_CALLS, CALLBACK_REFUSALS, CALLBACK_WAIT_TIME, CALLBACK_QUEUE_STATS, CALLBACK_FREE_NOW = 61, 62, 63,
  64, 65

local out = new("double[2]")

local function failed(what, status, level)
  private.failed(modname, what, status, level + 1)
end

local Callback = {}
-- An open callback -> its function pointer's address and type. A pointer that funcptr() hands out keeps its callback
-- (the upcall stub behind it) alive: calling it after the callback object was collected would jump to freed code.
-- The other way there is no link, so that the two can be collected (these tables are weak in their keys only).
local addresses, types = setmetatable({}, {__mode = "k"}), setmetatable({}, {__mode = "k"})
local owners = setmetatable({}, {__mode = "k"})
local queued = setmetatable({}, {__mode = "k"}) -- the callbacks made queued

local callback_t = metatype("struct { const double id; }", {
  __index = Callback,
  __gc = function(self)
    call(DROP, self.id, nil, 0, 0, nil)
  end,
  __tostring = function(self)
    return "lj-async callback " .. tostring(self.id) .. (addresses[self] and "" or " (freed)")
  end,
})
copy.refuse(callback_t, "is a callback of lj-async.callback, which belongs to the state that made it (pass its"
  .. " funcptr(), a pointer)")

local function check(self, method)
  if not ffi.istype(callback_t, self) then
    error(modname .. ": callback:" .. method .. " needs a callback (call it with a colon: cb:" .. method .. "())",
      3)
  end
end

--- The C function pointer, a cdata of the callback's type.
function Callback.funcptr(self)
  check(self, "funcptr")
  local address = addresses[self]
  if address == nil then
    error(modname .. ": this callback was freed", 2)
  end
  local p = cast(types[self], address)
  owners[p] = self
  return p
end

--- Closes the callback, waiting for the calls in flight; it is refused from inside one of its own calls. Calls that
--- come after it get the zero of the result type (and count as errors), for as long as the callback object or a
--- pointer from funcptr() is reachable.
--- A queued callback runs what it has queued first (the drain).
function Callback.free(self)
  check(self, "free")
  if addresses[self] ~= nil then
    local r = call(CALLBACK_FREE, self.id, nil, 0, 0, nil)
    if r < 0 then
      failed("free", r, 2)
    end
    addresses[self] = nil
  end
end

--- Closes as free does, but a queued callback discards the calls it has queued and not begun to run; returns how
--- many it discarded (0 for a direct callback, or once freed).
function Callback.free_now(self)
  check(self, "free_now")
  local n = 0
  if addresses[self] ~= nil then
    n = call(CALLBACK_FREE_NOW, self.id, nil, 0, 0, nil)
    if n < 0 then
      failed("free_now", n, 2)
    end
    addresses[self] = nil
  end
  return n
end

-- A count of the callback's (`op`), for the method `method`.
local function counted(self, op, method)
  local n = call(op, self.id, nil, 0, 0, nil)
  if n < 0 then
    failed(method, n, 3)
  end
  return n
end

-- The counts: errors() how many calls failed (refused ones included), calls() how many ran (returned or failed;
-- refused calls never ran), refusals() how many were refused without running, wait_time() the seconds calls spent
-- waiting for a free state, in all.
for method, op in next, {errors = CALLBACK_ERRORS, calls = CALLBACK_CALLS, refusals = CALLBACK_REFUSALS,
  wait_time = CALLBACK_WAIT_TIME} do
  Callback[method] = function(self)
    check(self, method)
    local n = counted(self, op, method) -- not a tail call: counted's errors point at the caller of this method
    return n
  end
end

local counts = new("double[4]")

--- A queued callback's counts: {queued=, dropped=, ran=, discarded=, pending=}, each exact.
function Callback.queue_stats(self)
  check(self, "queue_stats")
  if not queued[self] then
    error(modname .. ": queue_stats: this callback is not queued (CallbackFactory(signature, {queued = capacity})"
      .. " makes a queued one)", 2)
  end
  local r = call(CALLBACK_QUEUE_STATS, self.id, counts, 32, 0, nil)
  if r < 0 then
    failed("queue_stats", r, 2)
  end
  local q, d, ran, discarded = counts[0], counts[1], counts[2], counts[3]
  return {queued = q, dropped = d, ran = ran, discarded = discarded, pending = q - ran - discarded}
end

--- The error of the last failed call, with its traceback, or nil.
function Callback.last_error(self)
  check(self, "last_error")
  local b, n = read(CALLBACK_LAST_ERROR, self.id)
  if b == nil then
    failed("last_error", n, 2)
  end
  return n > 0 and fstring(b, n) or nil
end

local function create(signature, pointer_t, options, f, ...)
  -- called by the type's __call as a tail call: level 2 is the code that made the callback
  local ok, payload = pcall(copy.pack, "callback", f, ...)
  if not ok then
    error(modname .. ": " .. tostring(payload), 2)
  end
  local message = encode({signature = signature, payload = payload, init = select("#", ...) > 0,
    state = state_id, queued = options.queued, full = options.full, states = options.states})
  local r = call_with(CALLBACK_NEW, 0, message, 0, out)
  if r < 0 then
    failed("making a callback of type " .. signature, r, 2)
  end
  local cb = new(callback_t, r)
  addresses[cb], types[cb], queued[cb] = out[0], pointer_t, options.queued ~= nil or nil
  return cb
end

local function whole(v)
  return type(v) == "number" and v % 1 == 0
end

-- The options of a callback type, checked: {queued = capacity, full = "block" or "drop", states = n} (Java checks
-- the ranges, and that only a void result is queued).
local function checked(options)
  if options == nil then
    return {}
  elseif type(options) ~= "table" then
    error(modname .. ": the options of a callback type are a table ({queued = capacity, full = \"block\" or"
      .. " \"drop\", states = n}), not a " .. type(options), 3)
  end
  for k in pairs(options) do
    if k ~= "queued" and k ~= "full" and k ~= "states" then
      error(modname .. ": unknown callback option " .. tostring(k) .. " (the options are queued, full and states)",
        3)
    end
  end
  local capacity, full, states = options.queued, options.full, options.states
  if capacity ~= nil and not whole(capacity) then
    error(modname .. ": option queued is the queue's capacity, a whole number from 1 to 1048576, not "
      .. tostring(capacity), 3)
  end
  if full ~= nil and full ~= "block" and full ~= "drop" then
    error(modname .. ": option full is \"block\" or \"drop\", not " .. tostring(full), 3)
  end
  if full ~= nil and capacity == nil then
    error(modname .. ": option full needs option queued (only a queued callback has a queue to be full)", 3)
  end
  if states ~= nil and not whole(states) then
    error(modname .. ": option states is the number of states, a whole number from 1 to 256, not "
      .. tostring(states), 3)
  end
  return {queued = capacity, full = full, states = states}
end

--- The type of callbacks with C type `signature` (a function pointer type, as a string: ctypes cannot cross states),
--- made with `options` (none: lj-async's direct callbacks, one state each).
return function(signature, options)
  if type(signature) ~= "string" then
    error("bad argument #1 to async type creator; string expected", 2)
  end
  options = checked(options)
  local ok, pointer_t = pcall(ctype_of, signature)
  if not ok then
    error(modname .. ": " .. signature .. " is not a C type the FFI knows: " .. tostring(pointer_t), 2)
  end
  return setmetatable({}, {
    __call = function(_, f, ...)
      return create(signature, pointer_t, options, f, ...)
    end,
    __tostring = function()
      return "lj-async callback type " .. signature
    end,
  })
end
