-- Ported from lj-async's fork (tests/callback.lua): an init function, called in the callback's new state with the
-- init args, returns the function that serves the calls.
local callback = require "lj-async.callback"

local cb_t = callback("int(*)(int)")

function initcall(...)
  local ffi = require "ffi"
  print("init", ...)
  return function(n)
    print("call", n, ffi ~= nil)
    return n
  end
end

local cb = cb_t(initcall, "init string", 222)
assert(cb:funcptr()(123) == 123)
assert(cb:funcptr()(-5) == -5)
cb:free()
