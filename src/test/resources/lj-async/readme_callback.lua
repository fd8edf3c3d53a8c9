-- The first code block of lj-async's README, run as it is there, after the two lines its text gives before it.
local CallbackFactory = require "lj-async.callback"
local MyCallback_t = CallbackFactory("void(*)(int)")

local MyCallback = MyCallback_t(function(n) print(n) end)
local MyCallback_funcptr = MyCallback:funcptr() -- Get the actual callback
MyCallback_funcptr(123) -- Prints 123
MyCallback:free() -- Destroy the callback and the Lua state.
