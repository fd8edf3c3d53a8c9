-- Run once in every lua_State that LuaState makes, before any user code: the globals it uses are captured here,
-- so user code that changes them cannot break it. Returns the helpers LuaState keeps in the registry.
local hide_debug = ...
local _G, tostring, type, getmetatable, error, rawget, select = _G, tostring, type, getmetatable, error, rawget, select
local load, require, assert = load, require, assert
local traceback, getinfo = debug.traceback, debug.getinfo

-- The debug library was opened only for its traceback: take it away again when it was not asked for.
if hide_debug then
  debug.getregistry()._LOADED.debug = nil
  _G.debug = nil
end

-- The library's modules (name, address and length of their bytecode in native memory, which lives as long as the
-- JVM, and the module's context: a light userdata, such as the address of its way into Java, or nil): `require`
-- loads one through the FFI when asked for it and runs it with its name and context. States without the package
-- library have no require.
local preload = package and package.preload
local function preload_modules(_, ...)
  for i = 1, select("#", ...), 4 do
    local name, address, length, context = select(i, ...)
    preload[name] = function()
      local ffi = require("ffi") -- the modules need it anyway; without it, require reports that ffi is missing
      return assert(load(ffi.string(address, length), "=" .. name))(name, context)
    end
  end
end
if preload then
  preload_modules(...)
end

-- Separates the message from the traceback in what `handler` returns: a Lua string may hold any byte.
local SEPARATOR = "\0ljasync.traceback\0"

-- Separates the traceback from the positions that follow it.
local POSITIONS = "\0ljasync.positions\0"

-- The position of each Lua function on the stack below the handler, innermost first: its chunk as Lua shows it,
-- NUL, its current line, NUL. The level given to error() is not known here, so Java picks the position that the
-- message starts with ("chunk:line: "): exact whatever the chunk's name holds, and none for a message without one.
local function positions()
  local s = ""
  for level = 3, 258 do
    local info = getinfo(level, "Sl")
    if info == nil then
      break
    end
    if info.currentline > 0 then
      s = s .. info.short_src .. "\0" .. info.currentline .. "\0"
    end
  end
  return s
end

-- Message handler of every lua_pcall made from Java: the message as a string, then the traceback, then the
-- positions.
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
  return message .. SEPARATOR .. traceback("", 2) .. POSITIONS .. positions()
end

-- Names arrive from Java split at their dots: a count n, then the n parts ("string", "format"), then the rest.
-- Nothing here uses the string library, which a state may not have opened.
local function dotted(n, ...)
  local name = (...)
  for i = 2, n do
    name = name .. "." .. select(i, ...)
  end
  return name
end

-- The value of a name, through ordinary indexing (so metamethods apply).
local function lookup(n, ...)
  local value = _G[(...)]
  for i = 2, n do
    if type(value) ~= "table" and type(getmetatable(value)) ~= "table" then
      error("'" .. dotted(n, ...) .. "' does not name a value: '" .. dotted(i - 1, ...) .. "' is a "
        .. type(value), 0)
    end
    value = value[(select(i, ...))]
  end
  return value
end

-- Stores a value under a name, making the missing tables on the way.
local function store(value, n, ...)
  local parent = _G
  for i = 1, n - 1 do
    local part = select(i, ...)
    local child = parent[part]
    if child == nil then
      child = {}
      parent[part] = child
    elseif type(child) ~= "table" then
      error("'" .. dotted(n, ...) .. "' cannot be assigned: '" .. dotted(i, ...) .. "' is a " .. type(child), 0)
    end
    parent = child
  end
  parent[(select(n, ...))] = value
end

local function assign(n, ...)
  store(select(n + 1, ...), n, ...)
end

local function call(n, ...)
  local f
  if n == 1 then
    f = _G[(...)]
  else
    f = lookup(n, ...)
  end
  if f == nil then
    error("attempt to call '" .. dotted(n, ...) .. "' (a nil value)", 0)
  end
  return f(select(n + 1, ...))
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

local function register(n, ...)
  store(wrap((select(n + 1, ...))), n, ...)
end

return handler, call, lookup, assign, register
