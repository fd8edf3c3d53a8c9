-- Ported from lj-async's fork (tests/keepertest.lua): a thread sends 1 to 100 under one key; another polls the key
-- until it has received 10. Returns what the second received, in order, as a string.
local Thread = require "lj-async.thread"
local Kmaker = require "lj-async.keeper"

local thread_func = function(K)
  local Kmaker = require "lj-async.keeper"
  K = Kmaker.KeeperCast(K)
  return function(ud)
    for i = 1, 100 do
      K:send("clave", i)
    end
  end
end

local thread_func2 = function(K)
  local Kmaker = require "lj-async.keeper"
  K = Kmaker.KeeperCast(K)
  return function(ud)
    local got = {}
    while true do
      local key, value = K:receive("clave")
      if key then
        got[#got + 1] = value
      end
      if value == 10 then
        break
      end
    end
    return table.concat(got, " ")
  end
end

local K = Kmaker.MakeKeeper()

local th2 = Thread(thread_func2, nil, K)
local th = Thread(thread_func, nil, K)

assert(th:join())
local _, got = th2:join()
return got
