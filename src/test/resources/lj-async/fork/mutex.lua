-- Ported from lj-async's fork (tests/mutex.lua): three threads take the mutex 20 times each, printing while they
-- hold it; each also adds to a counter in shared memory while it holds the mutex, 1,000 times, without atomics, so
-- that a lost update would show. Returns the counter.
local ffi = require "ffi"
local Mutex = require "lj-async.mutex"
local Thread = require "lj-async.thread"
local thread_data_t = ffi.typeof("struct { int x; }")

local counter = ffi.new("int[1]")

local function threadMain(m, shared)
  return function(threadid)
    local ffi = require "ffi"
    local Mutex = require "lj-async.mutex"
    m = ffi.cast(ffi.typeof("$*", Mutex), m)
    threadid = ffi.cast("struct { int x; }*", threadid)
    shared = ffi.cast("volatile int *", shared)
    for i = 1, 20 do
      m:lock()
      print("Thread", threadid.x, "got mutex, i=", i)
      m:unlock()
    end
    for _ = 1, 1000 do
      m:lock()
      local v = shared[0]
      for _ = 1, 10 do end
      shared[0] = v + 1
      m:unlock()
    end
  end
end

local mutex = Mutex()
local threads = {}
for i = 1, 3 do
  threads[i] = Thread(threadMain, thread_data_t(i), mutex, counter)
end

for i = #threads, 1, -1 do
  assert(threads[i]:join())
  assert(threads[i]:status() == "finished", threads[i]:error())
  threads[i]:free()
  threads[i] = nil
end

mutex:destroy()
mutex = nil
return counter[0]
