-- Ported from lj-async's fork (tests/thread_join.lua), shortened: a thread sleeps in C for half a second (the fork:
-- five), and is joined with timeouts of a tenth of a second (the fork: one) until it ends. Returns the number of
-- joins that timed out.
local Thread = require "lj-async.thread"
local ffi = require "ffi"

local ThreadF = function()
  return function(ud)
    local ffi = require "ffi"
    ffi.cdef [[int usleep(unsigned int usec);]]
    ffi.C.usleep(500000)
  end
end

local thread_data_t = ffi.typeof("struct { int x; }")

local t = Thread(ThreadF, thread_data_t(1))
local timeouts = 0
while true do
  local ok = t:join(0.1)
  if ok then
    break
  end
  timeouts = timeouts + 1
  assert(timeouts < 100, "the thread never ended")
end
assert(t:status() == "finished", t:status())
t:free()
return timeouts
