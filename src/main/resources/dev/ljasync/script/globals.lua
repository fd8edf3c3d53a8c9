-- The script engine's access to its state's globals (dev.ljasync.script.LuaGlobals): run once, it returns the
-- dispatcher, one function that the engine calls with an operation and its operands. Raw, so that the manager's
-- global scope, which the globals' __index shows, does not count as the engine's. Its ... is the name of a global
-- where it leaves its taker (see "take" below) for the engine to reference once and remove. The base functions are
-- captured now: a script that replaces them does not break the engine.
local taker_name = ...
local G = getfenv(1) -- the globals (a chunk's environment), even when a script rebinds _G
local rawget, rawset, next, type, select, unpack, getmetatable, setmetatable, error, tostring =
  rawget, rawset, next, type, select, unpack, getmetatable, setmetatable, error, tostring

local function callable(f)
  if type(f) == "function" then
    return true
  end
  local mt = getmetatable(f)
  return type(mt) == "table" and rawget(mt, "__call") ~= nil
end

-- The value that "hold" left, for the engine to reference: reading any key of the taker gives it once, so a
-- value (a table included) reaches Java as a reference, not as a copy.
local held
local taker = setmetatable({}, {__index = function()
  local v = held
  held = nil
  return v
end})

-- The global functions as methods (t:name(...) calls global name(...)), read when called: what getInterface(type)
-- implements an interface with.
local functions = setmetatable({}, {__index = function(_, name)
  local f = rawget(G, name)
  if callable(f) then
    return function(_, ...)
      return f(...)
    end
  end
end})

local function index(receiver, name)
  return receiver[name]
end

-- A Java object without the method raises an error when indexed: that too is "no such method"
local function methodOf(receiver, name)
  local f
  if type(receiver) == "table" or getmetatable(receiver) ~= nil then
    local ok, found = pcall(index, receiver, name)
    f = ok and found or nil
  end
  return callable(f) and f or nil
end

local ops = {}

function ops.get(a)
  return rawget(G, a)
end

function ops.has(a)
  return rawget(G, a) ~= nil
end

function ops.put(a, b) -- returns the value replaced
  local old = rawget(G, a)
  rawset(G, a, b)
  return old
end

function ops.move(a, b) -- a global to another name, such as a Java function registered under a name of its own
  if a ~= b then
    rawset(G, b, rawget(G, a))
    rawset(G, a, nil)
  end
end

function ops.keys() -- the globals' string keys
  local keys, n = {}, 0
  for k in next, G do
    if type(k) == "string" then
      n = n + 1
      keys[n] = k
    end
  end
  return unpack(keys, 1, n)
end

function ops.read(...) -- the values of the globals named, in order
  local n = select("#", ...)
  local values = {...}
  for i = 1, n do
    values[i] = rawget(G, values[i])
  end
  return unpack(values, 1, n)
end

function ops.hasfunction(a)
  return callable(rawget(G, a))
end

function ops.call(a, ...) -- the global function a with the operands after it; false when there is none
  local f = rawget(G, a)
  if not callable(f) then
    return false
  end
  return true, f(...)
end

function ops.hasmethod(a, b) -- whether a has a method b (a:b(...))
  return methodOf(a, b) ~= nil
end

function ops.method(a, b, ...) -- a's method b (a:b(...)); false when there is none
  local f = methodOf(a, b)
  if f == nil then
    return false
  end
  return true, f(a, ...)
end

function ops.hold(a) -- a, for the taker
  held = a
end

function ops.holdglobal(a) -- global a, raw, for the taker
  held = rawget(G, a)
end

function ops.holdfunctions() -- the global functions as methods, for the taker
  held = functions
end

function ops.scope(a) -- a reads the manager's global scope for globals the state does not have
  local lookup = rawget(G, a)
  rawset(G, a, nil)
  setmetatable(G, {__index = function(_, k)
    if type(k) == "string" then
      return lookup(k)
    end
  end})
end

rawset(G, taker_name, taker)

return function(op, ...)
  local f = ops[op]
  if f == nil then
    error("no such operation: " .. tostring(op), 0)
  end
  return f(...)
end
