-- Ported from lj-async's fork (tests/mutex_timeout.lua), shortened: the main state holds the mutex while a thread
-- tries five times to take it with a timeout of 50 ms (the fork: one second). Returns the thread's status and error.
local ThreadF = function(m)
  local ffi = require "ffi"
  local Mutex = require "lj-async.mutex"
  m = ffi.cast(ffi.typeof("$*", Mutex), m)
  return function()
    for i = 1, 5 do
      assert(not m:lock(0.05), "Thread locked the mutex, somehow.")
      print("Timed out, i=", i)
    end
  end
end

local Thread = require "lj-async.thread"
local Mutex = require "lj-async.mutex"

local m = Mutex()
assert(m:lock(), "Couldn't lock a new mutex")

local t = Thread(ThreadF, nil, m)
assert(t:join())
local status, problem = t:status(), t:error()
t:free()
m:unlock()
m:destroy()
return status, problem
