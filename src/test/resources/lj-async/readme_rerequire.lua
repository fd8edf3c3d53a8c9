-- The third code block of lj-async's README, its "..." filled in as in readme_upvalue.lua: the function requires the
-- FFI in the new state itself, and fails at the same cast.
local CallbackFactory = require "lj-async.callback"
local MyCallback_t = CallbackFactory("void(*)(void *)")

local ffi = require "ffi"

local MyCallback = MyCallback_t(function(userdata)
	local ffi = require "ffi" -- Import FFI in the new state
	userdata = ffi.cast("int[1]", userdata) -- This will now work
	userdata[0] = 1
end)

MyCallback:funcptr()(ffi.new("int[1]"))
return MyCallback:errors(), MyCallback:last_error()
