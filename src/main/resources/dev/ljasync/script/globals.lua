-- The script engine's access to its state's globals (dev.ljasync.script.LuaGlobals): run with an operation and its
-- operands. Raw, so that the manager's global scope, which the globals' __index shows, does not count as the
-- engine's. It reads the base functions by name each time it runs: a script that replaces them breaks the engine's
-- bindings with Lua errors, nothing more.
local op, a, b = ...
local G = getfenv(1) -- the globals (a chunk's environment), even when a script rebinds _G

-- Whether v has a Java value: until the value model gives tables, functions, coroutines, userdata and cdata one,
-- the engine reads such a global as absent where it must (a replaced value) and refuses it where asked for it.
local function plain(v)
  local t = type(v)
  return t == "nil" or t == "boolean" or t == "number" or t == "string" or t == "userdata" and getmetatable(v) == nil
end

local function callable(f)
  if type(f) == "function" then
    return true
  end
  local mt = getmetatable(f)
  return type(mt) == "table" and rawget(mt, "__call") ~= nil
end

if op == "get" then
  local v = rawget(G, a)
  if not plain(v) then
    error("global '" .. a .. "' holds a " .. type(v) .. ", which has no Java value", 0)
  end
  return v
elseif op == "has" then
  return rawget(G, a) ~= nil
elseif op == "put" then -- returns the value replaced
  local old = rawget(G, a)
  rawset(G, a, b)
  if plain(old) then
    return old
  end
  return nil
elseif op == "move" then -- a global to another name, such as a Java function registered under a name of its own
  if a ~= b then
    rawset(G, b, rawget(G, a))
    rawset(G, a, nil)
  end
elseif op == "keys" then -- the globals' string keys
  local keys, n = {}, 0
  for k in next, G do
    if type(k) == "string" then
      n = n + 1
      keys[n] = k
    end
  end
  return unpack(keys, 1, n)
elseif op == "read" then -- for each name from a on: "value" and its value, or "other" when it has no Java value
  local results, n = {}, 0
  for i = 2, select("#", ...) do
    local v = rawget(G, (select(i, ...)))
    if plain(v) then
      results[n + 1], results[n + 2] = "value", v
    else
      results[n + 1] = "other"
    end
    n = n + 2
  end
  return unpack(results, 1, n)
elseif op == "hasfunction" then
  return callable(rawget(G, a))
elseif op == "call" then -- the global function a with the operands after it; false when there is none
  local f = rawget(G, a)
  if not callable(f) then
    return false
  end
  return true, f(select(3, ...))
elseif op == "hasmethod" or op == "method" then -- a's method b (a:b(...)); false when there is none
  local f
  if type(a) == "table" or getmetatable(a) ~= nil then
    f = a[b]
  end
  if not callable(f) then
    return false
  end
  if op == "hasmethod" then
    return true
  end
  return true, f(a, select(4, ...))
elseif op == "scope" then -- a reads the manager's global scope for globals the state does not have
  local lookup = rawget(G, a)
  rawset(G, a, nil)
  setmetatable(G, {__index = function(_, k)
    if type(k) == "string" then
      return lookup(k)
    end
  end})
else
  error("no such operation: " .. tostring(op), 0)
end
