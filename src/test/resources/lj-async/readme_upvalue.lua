-- The second code block of lj-async's README, its "..." filled in: the callback's type before it, a call after.
-- lj-async marks the upvalue "BAD!"; here the ffi upvalue is the loaded module ffi, which the callback's state
-- requires by name. The block's cast to "int[1]" is refused by every LuaJIT ("invalid C type": an array type is
-- no cast target), so the call fails there, past the use of ffi, and the caller gets the fallback.
local CallbackFactory = require "lj-async.callback"
local MyCallback_t = CallbackFactory("void(*)(void *)")

local ffi = require "ffi"

local MyCallback = MyCallback_t(function(userdata)
	userdata = ffi.cast("int[1]", userdata) -- BAD! ffi is an upvalue and not preserved by string.dump!
	userdata[0] = 1
end)

MyCallback:funcptr()(ffi.new("int[1]"))
return MyCallback:errors(), MyCallback:last_error()
