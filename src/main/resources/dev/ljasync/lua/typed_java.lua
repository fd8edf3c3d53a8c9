-- Makes the Lua function of a typed Java function (LuaState.register(name, signature, target)): Java passes the C
-- function-pointer type, the address of the function's upcall stub, the address of the state's failure flag (an
-- int32_t), the Java function that raises a failure, and the number of parameters and whether the type returns
-- nothing. The stub is called through the FFI, as a C function would be, so LuaJIT compiles the call into the
-- caller's trace. A Java exception cannot become a Lua error inside an FFI call: the stub then returns zero and sets
-- the flag, and the wrapper, once the call has returned, calls `raise`, a Java function of the state that gives the
-- error (false, the message and the level, as every Java function of the library replies) and clears the flag; the
-- wrapper raises it at its caller.
local ffi = require("ffi")
local typeof = require("ljasync.ctype")
local load, error = load, error
local signature, address, flag, raise, arity, void = ...

local params = ""
for i = 1, arity do
  params = params .. (i > 1 and ", a" or "a") .. i
end
-- Compiled from source so that the wrapper takes exactly its parameters (no varargs): LuaJIT then compiles it into
-- its caller's traces.
local source = "local f, failed, raise, error = ...\nreturn function(" .. params .. ") "
  .. (void and "" or "local r = ") .. "f(" .. params .. ") if failed[0] ~= 0 then local ok, message, level = raise()"
  .. " if not ok then error(message, level) end end" .. (void and "" or " return r") .. " end"
local make = load(source, "=ljasync.typed_java")
return make(ffi.cast(typeof(signature), address), ffi.cast("int32_t *", flag), raise, error)
