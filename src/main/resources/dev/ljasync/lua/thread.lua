-- The adapter of a LuaThread's callback, run once in its state with the thread's function: the function's result
-- becomes the thread's `void *` result, and a cancellable thread runs without the JIT (LuaJIT runs no hook inside
-- a compiled trace) under a count hook that raises an error once Java has set the thread's cancel flag.
local ffi = require("ffi")
local type, error, cast = type, error, ffi.cast
local thread, flag = ...

if flag ~= nil then
  local cancelled = cast("volatile int32_t *", flag)
  jit.off()
  debug.sethook(function()
    if cancelled[0] ~= 0 then
      error("ljasync.thread: cancelled", 0)
    end
  end, "", 10000)
end

return function(userdata)
  local result = thread(userdata)
  local kind = type(result)
  if result == nil or kind == "number" or kind == "cdata" or kind == "userdata" then
    return cast("void *", result)
  end
  error("a thread's function must return an integer, a pointer or nothing, not a " .. kind, 0)
end
