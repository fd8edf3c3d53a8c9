-- lj-async.callback: lj-async's callbacks, made by this library's Java side (dev.ljasync.Callback), so that they
-- are the same safe callbacks Java makes.
--
--   local CallbackFactory = require "lj-async.callback"
--   local MyCallback_t = CallbackFactory("void(*)(int)")  -- a C function pointer type, as a string
--   local cb = MyCallback_t(f [, ...])                    -- f: a function (copied with its upvalues) or Lua source
--   cb:funcptr()                                          -- the pointer, a cdata of that type; any thread may call it
--   cb:free()                                             -- closes the callback (waits for calls in flight)
--   cb:errors(), cb:last_error()                          -- failed calls so far; the last one's error and traceback
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
local type, error, select, pcall, setmetatable, tostring = type, error, select, pcall, setmetatable, tostring
local new, cast, fstring, metatype = ffi.new, ffi.cast, ffi.string, ffi.metatype

-- the operations of dev.ljasync.LjAsync
local CALLBACK_NEW, CALLBACK_FREE, CALLBACK_ERRORS, CALLBACK_LAST_ERROR, DROP = 50, 51, 52, 53, 60

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

--- How many calls failed so far.
function Callback.errors(self)
  check(self, "errors")
  local n = call(CALLBACK_ERRORS, self.id, nil, 0, 0, nil)
  if n < 0 then
    failed("errors", n, 2)
  end
  return n
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

local function create(signature, pointer_t, f, ...)
  -- called by the type's __call as a tail call: level 2 is the code that made the callback
  local ok, payload = pcall(copy.pack, "callback", f, ...)
  if not ok then
    error(modname .. ": " .. tostring(payload), 2)
  end
  local message = encode({signature = signature, payload = payload, init = select("#", ...) > 0,
    state = state_id})
  local r = call_with(CALLBACK_NEW, 0, message, 0, out)
  if r < 0 then
    failed("making a callback of type " .. signature, r, 2)
  end
  local cb = new(callback_t, r)
  addresses[cb], types[cb] = out[0], pointer_t
  return cb
end

--- The type of callbacks with C type `signature` (a function pointer type, as a string: ctypes cannot cross states).
return function(signature)
  if type(signature) ~= "string" then
    error("bad argument #1 to async type creator; string expected", 2)
  end
  local ok, pointer_t = pcall(ctype_of, signature)
  if not ok then
    error(modname .. ": " .. signature .. " is not a C type the FFI knows: " .. tostring(pointer_t), 2)
  end
  return setmetatable({}, {
    __call = function(_, f, ...)
      return create(signature, pointer_t, f, ...)
    end,
    __tostring = function()
      return "lj-async callback type " .. signature
    end,
  })
end
