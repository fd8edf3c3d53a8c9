-- Run once in every lua_State that LuaState makes, before any user code: the globals it uses are captured here,
-- so user code that changes them cannot break it. Returns the helpers LuaState keeps in the registry.
local hide_debug = ...
local _G, tostring, type, getmetatable, error, rawget = _G, tostring, type, getmetatable, error, rawget
local traceback = debug.traceback

-- The debug library was opened only for its traceback: take it away again when it was not asked for.
if hide_debug then
  debug.getregistry()._LOADED.debug = nil
  _G.debug = nil
end

-- Separates the message from the traceback in what `handler` returns: a Lua string may hold any byte.
local SEPARATOR = "\0ljasync.traceback\0"

-- Message handler of every lua_pcall made from Java: the message as a string, then the traceback.
local function handler(e)
  local message
  if type(e) == "string" or type(e) == "number" then
    message = tostring(e)
  else
    local mt = getmetatable(e)
    if type(mt) == "table" and rawget(mt, "__tostring") ~= nil then
      message = tostring(e)
    else
      message = "(error object is a " .. type(e) .. " value)"
    end
  end
  -- no string methods here: the string library may not be open
  return message .. SEPARATOR .. traceback("", 2)
end

-- Resolves a dotted name ("string.format") through ordinary indexing, so metamethods apply.
local function lookup(name)
  local value = _G
  for part in name:gmatch("[^.]+") do
    if type(value) ~= "table" and type(getmetatable(value)) ~= "table" then
      error("'" .. name .. "' does not name a value: '" .. part .. "' is indexed on a " .. type(value), 0)
    end
    value = value[part]
  end
  return value
end

local function assign(name, value)
  local parent, key = _G, name
  local dot = name:find("%.[^.]*$")
  if dot then
    parent, key = _G, name:sub(dot + 1)
    for part in name:sub(1, dot - 1):gmatch("[^.]+") do
      local child = parent[part]
      if child == nil then
        child = {}
        parent[part] = child
      elseif type(child) ~= "table" then
        error("'" .. name .. "' cannot be assigned: '" .. part .. "' is a " .. type(child), 0)
      end
      parent = child
    end
  end
  parent[key] = value
end

local function call(name, ...)
  local f = lookup(name)
  if f == nil then
    error("attempt to call '" .. name .. "' (a nil value)", 0)
  end
  return f(...)
end

-- A Java function is a C closure that returns true and its results, or false, an error message and the level to
-- raise it at; this Lua closure raises that error after the C function has returned, so no Lua error unwinds
-- through Java frames. Level 2 (the wrapper tail-calls finish) names the Lua line that called the Java function;
-- level 0 passes on a Lua error that came back through Java as it was.
local function finish(ok, ...)
  if ok then
    return ...
  end
  local message, level = ...
  error(message, level)
end

local function wrap(raw)
  return function(...)
    return finish(raw(...))
  end
end

local function register(name, raw)
  assign(name, wrap(raw))
end

return handler, call, lookup, assign, register
