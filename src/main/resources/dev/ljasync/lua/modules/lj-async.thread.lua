-- lj-async.thread: lj-async's threads, made by this library's Java side (dev.ljasync.LuaThread).
--
--   local Thread = require "lj-async.thread"
--   local t = Thread(f, ud [, ...])     -- or Thread.new; f copied with its upvalues (or Lua source); ud a pointer
--   local t = Thread({f}, ud [, ...])   -- a thread that t:cancel() can stop (as the fork's cooperative cancel)
--   t:join([timeout])                   -- true and f's results once it ended; false after timeout seconds
--   t:status(), t:error(), t:results(), t:cancel(), t:destroy() (or t:free())
--
-- Without init args, f is called with ud on the new thread (lj-async); with them, f is called first with them and
-- returns the function that is (lj-async's fork) - and so is an f that, given no init args, returns just a function.
-- Results cross as a channel's values do. An error ends the thread with status "failed": t:error() has it with its
-- traceback, and it is logged as a warning on the System.Logger named dev.ljasync.LuaThread.
local modname, _, state_id = ...
local ffi = require("ffi")
local sync = require("ljasync.sync")
local copy = require("ljasync.copy")
local private = sync._private
local call, call_with, read, encode, seconds, results_of = private.call, private.call_with, private.read,
  private.encode, private.seconds, private.results
local type, error, select, pcall, setmetatable, tostring = type, error, select, pcall, setmetatable, tostring
local new, gc, fstring, metatype, typeof = ffi.new, ffi.gc, ffi.string, ffi.metatype, ffi.typeof

-- the operations of dev.ljasync.LjAsync
local THREAD_NEW, THREAD_JOIN, THREAD_RESULTS, THREAD_STATUS, THREAD_ERROR, THREAD_CANCEL, DROP = 54, 55, 56, 57,
  58, 59, 60
local STATUS = {[0] = "running", "finished", "failed", "cancelled"}

local void_p = typeof("void *")

local function failed(what, status, level)
  private.failed(modname, what, status, level + 1)
end

local Thread = {}
-- What a thread's function may still use: its userdata, kept until the thread is known to have ended.
local anchors = {}

local thread_t = metatype("struct { const double id; }", {
  __index = Thread,
  __gc = function(self)
    if call(THREAD_STATUS, self.id, nil, 0, 0, nil) ~= 0 then
      anchors[self.id] = nil -- a running thread keeps its userdata for as long as this state lives
    end
    call(DROP, self.id, nil, 0, 0, nil)
  end,
  __tostring = function(self)
    return "lj-async thread " .. tostring(self.id)
  end,
})
copy.refuse(thread_t, "is a thread of lj-async.thread, which belongs to the state that made it")

local function check(self, method)
  if not ffi.istype(thread_t, self) then
    error(modname .. ": thread:" .. method .. " needs a thread (call it with a colon: t:" .. method .. "())", 3)
  end
end

local function status_of(self, method)
  local s = call(THREAD_STATUS, self.id, nil, 0, 0, nil)
  if s < 0 then
    failed(method, s, 3)
  end
  return s
end

-- The results of a finished thread, as values (none for a thread that did not finish).
local function results(self)
  return results_of(THREAD_RESULTS, self.id)
end

--- Waits for the thread to end, up to `timeout` seconds (0: not at all; nil: as long as it takes). Returns true and
--- the thread function's results once it ended (none when it failed or was cancelled), false after the timeout.
function Thread.join(self, timeout)
  check(self, "join")
  local r = call(THREAD_JOIN, self.id, nil, 0, seconds(timeout, 2), nil)
  if r == 1 then
    anchors[self.id] = nil
    return true, results(self)
  elseif r == 0 then
    return false
  end
  failed("join", r, 2)
end

--- "running", "finished", "failed" or "cancelled".
function Thread.status(self)
  check(self, "status")
  return STATUS[status_of(self, "status")]
end

--- The thread function's results, once it finished.
function Thread.results(self)
  check(self, "results")
  return results(self)
end

--- The error that ended the thread, with its traceback, or nil.
function Thread.error(self)
  check(self, "error")
  local b, n = read(THREAD_ERROR, self.id)
  if b == nil then
    failed("error", n, 2)
  end
  return n > 0 and fstring(b, n) or nil
end

--- Stops a thread started as Thread({f}, ...): within milliseconds, wherever its Lua code is.
function Thread.cancel(self)
  check(self, "cancel")
  local r = call(THREAD_CANCEL, self.id, nil, 0, 0, nil)
  if r < 0 then
    failed("cancel", r, 2)
  end
end

--- Lets the thread object go (the thread itself runs on until it ends).
function Thread.destroy(self)
  check(self, "destroy")
  if status_of(self, "destroy") ~= 0 then
    anchors[self.id] = nil
  end
  gc(self, nil)
  call(DROP, self.id, nil, 0, 0, nil)
end
Thread.free = Thread.destroy

local function address(ud)
  if ud == nil then
    return nil
  end
  local ok, p = pcall(new, void_p, ud)
  if not ok then
    error(modname .. ": the userdata is a pointer (a cdata pointer, array or struct, or a light userdata), not a "
      .. type(ud), 3)
  end
  return p
end

local M = {}

--- Creates and starts a thread; see the top of this file.
function M.new(f, ud, ...)
  local cancellable = false
  if type(f) == "table" then
    f, cancellable = f[1], true
  end
  local pointer = address(ud)
  local ok, payload = pcall(copy.pack, "thread", f, ...)
  if not ok then
    error(modname .. ": " .. tostring(payload), 2)
  end
  local message = encode({payload = payload, init = select("#", ...) > 0, userdata = pointer,
    cancellable = cancellable, state = state_id})
  local r = call_with(THREAD_NEW, 0, message, 0, nil)
  if r < 0 then
    failed("starting a thread", r, 2)
  end
  anchors[r] = ud
  return new(thread_t, r)
end

return setmetatable(M, {
  __call = function(_, ...)
    return M.new(...) -- a tail call: M.new's errors point at the caller
  end,
})
