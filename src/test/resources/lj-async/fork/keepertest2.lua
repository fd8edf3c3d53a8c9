-- Ported from lj-async's fork (tests/keepertest2.lua): two threads play ping-pong through two keys of a keeper; the
-- first stops once told "end", sending "finish". Returns what each thread function returned.
local Thread = require "lj-async.thread"
local Kmaker = require "lj-async.keeper"

local thread_func = function(K)
  local Kmaker = require "lj-async.keeper"
  K = Kmaker.KeeperCast(K)
  return function(ud)
    local i = 1
    while true do
      K:send("clave", i)
      local key, val = K:receive("clave2")
      if val == "end" then
        K:send("clave", "finish")
        break
      end
      i = i + 1
    end
    return i
  end
end

local thread_func2 = function(K)
  local Kmaker = require "lj-async.keeper"
  K = Kmaker.KeeperCast(K)
  return function(ud)
    local seen = 0
    while true do
      local key, value = K:receive("clave")
      if key then
        seen = seen + 1
      end
      if value == 10 then
        K:send("clave2", "end")
      elseif value == "finish" then
        return seen
      end
    end
  end
end

local K = Kmaker.MakeKeeper()

local th2 = Thread(thread_func2, nil, K)
local th = Thread(thread_func, nil, K)

local ok1, sent = th:join()
local ok2, seen = th2:join()
assert(ok1 and ok2)
return sent, seen
