-- Ported from lj-async's fork (tests/basic.lua): threads given a userdata struct and init args, one of which
-- raises an error; each is joined and freed. Returns the status and error of each thread.
local ffi = require "ffi"
local Thread = require "lj-async.thread"

local thread_func = function(f, ...)
  local args = {n = select("#", ...), ...}
  return function(ud)
    local ffi = require "ffi"
    ud = ffi.cast("struct { int x; }*", ud)
    print("ud.x is", ud.x)
    f(unpack(args, 1, args.n))
  end
end

local thread_data_t = ffi.typeof("struct { int x; }")

local outcomes = {}
local function testThread(c, f, ...)
  local thread = Thread(thread_func, thread_data_t(c), f, ...)
  local ok = thread:join()
  assert(ok, "join without a timeout returns true")
  outcomes[c] = {thread:status(), thread:error()}
  thread:free()
end

testThread(1, function()
  print("Thread 1 says hi!")
end)

testThread(2, function()
  error("Thread 2 has errors.")
end)

testThread(3, function(...)
  print("Got values:", select("#", ...), ...)
end, 2, nil, "c", true)

local vec = ffi.new("struct {int x, y, z;}", 100, 200, 300)
testThread(4, function(v)
  local ffi = require "ffi"
  v = ffi.cast("struct {int x, y, z;}*", v)
  print("vec", v.x, v.y, v.z)
end, vec)

return outcomes
