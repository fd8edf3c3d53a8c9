-- The adapter of a LuaThread's callback, run once in its state with the thread's function, the handle of the channel
-- that takes its results, whether the function gets the userdata, and whether it may be lj-async's fork's init
-- function (below), and where a result that is one number goes. The function's results cross into Java as the
-- values of a channel do, one message each in ljasync.sync's encoding (an instance of the module that user code
-- never sees), and their number becomes the callback's `void *` result. (A cancellable thread's state is
-- interruptible: see interrupt.lua.)
local ffi = require("ffi")
local require, type, error, pcall, select, tostring, cast, match = require, type, error, pcall, select, tostring,
  ffi.cast, string.match
local thread, handle, with_userdata, maybe_init, number_slot = ...
-- One number, the most common result, is written here instead: the count -1 says so (ThreadResults.ONE_NUMBER)
number_slot = cast("double *", number_slot)

-- The error of result i, which could not be sent: the encoder names the place in the value as "value..." (e.g.
-- "value.jobs[2]"), which here is a place in the result.
local function refused(i, e)
  local what = "result " .. i .. " of the thread function"
  local where, problem
  if type(e) == "string" then
    where, problem = match(e, "^ljasync%.sync: cannot send value(.-): (.*)$")
  end
  if where == nil then
    return what .. " cannot cross into Java: " .. tostring(e)
  elseif where ~= "" then
    what = what .. ", at " .. where .. ","
  end
  local it = match(problem, "^it (.*)$")
  return what .. (it and " " .. it or " cannot cross into Java: " .. problem)
    .. " (a thread's results cross into Java as the values of a channel do)"
end

local function finish(...)
  local n = select("#", ...)
  if n == 0 then
    return cast("void *", 0)
  elseif n == 1 and type((...)) == "number" then
    number_slot[0] = (...)
    return cast("void *", -1)
  end
  -- loaded only for results: in a new state, loading the module takes about 0.25 ms (a thread takes 0.7 ms without)
  local results = require("ljasync.sync").wrap(handle)
  local send = results.send
  for i = 1, n do
    local ok, e = pcall(send, results, (select(i, ...))) -- a direct pcall: the encoder's error has no position
    if not ok then
      error(refused(i, e), 0)
    end
  end
  return cast("void *", n)
end

-- lj-async's fork calls the function first with the init args, and runs what it returns; lj-async runs the
-- function itself. With no init args to tell them apart, a function that returns just a function was the fork's.
local function first_or_init(userdata, ...)
  if select("#", ...) == 1 and type((...)) == "function" then
    return finish((...)(userdata))
  end
  return finish(...)
end

if with_userdata and maybe_init then
  return function(userdata)
    return first_or_init(userdata, thread(userdata))
  end
elseif with_userdata then
  return function(userdata)
    return finish(thread(userdata))
  end
end
return function()
  return finish(thread())
end
