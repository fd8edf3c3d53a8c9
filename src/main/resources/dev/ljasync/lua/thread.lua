-- The adapter of a LuaThread's callback, run once in its state with the thread's function: the function's result
-- becomes the thread's `void *` result. (A cancellable thread's state is interruptible: see interrupt.lua.)
local ffi = require("ffi")
local type, error, cast = type, error, ffi.cast
local thread = ...

return function(userdata)
  local result = thread(userdata)
  local kind = type(result)
  if result == nil or kind == "number" or kind == "cdata" or kind == "userdata" then
    return cast("void *", result)
  end
  error("a thread's function must return an integer, a pointer or nothing, not a " .. kind, 0)
end
