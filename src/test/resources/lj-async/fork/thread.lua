-- Ported from lj-async's fork (tests/thread.lua): three threads, each with a userdata struct and init args, joined
-- and freed in turn.
local Thread = require "lj-async.thread"
local ffi = require "ffi"

local thread_func = function(...)
  print("init args", ...)
  return function(ud)
    local ffi = require "ffi"
    ud = ffi.cast("struct { int x; }*", ud)
    print("ud.x", ud.x)
  end
end

local thread_data_t = ffi.typeof("struct { int x; }")

local thread1 = Thread(thread_func, thread_data_t(123), 1, "uno")
local thread2 = Thread(thread_func, thread_data_t(456), "dos", 2)
local thread3 = Thread(thread_func, thread_data_t(789), 33)

assert(thread1:join())
assert(thread2:join())
assert(thread3:join())

thread1:free()
thread2:free()
thread3:free()
