-- Ported from lj-async's fork (tests/thread_returns.lua): 10,000 threads, each returning its userdata pointer, which
-- join hands back; the sum of what the pointers point to is checked. Returns the expected and the gotten sum.
local Thread = require "lj-async.thread"
local ffi = require "ffi"

local thread_func = function(...)
  return function(ud)
    local ffi = require "ffi"
    ud = ffi.cast("struct { int x; }*", ud)
    return ud
  end
end

local thread_data_t = ffi.typeof("struct { int x; }")

local count = ...
local datas, threads = {}, {}
local expected = 0
for i = 1, count do
  datas[i] = thread_data_t(i)
  threads[i] = Thread(thread_func, datas[i])
  expected = expected + i
end
local gotten = 0
for i, thread in ipairs(threads) do
  local ok, res = thread:join()
  assert(ok)
  res = ffi.cast("struct { int x; }*", res).x
  assert(i == res, "i=" .. i .. " res=" .. tostring(res))
  gotten = gotten + res
end
return expected, gotten
