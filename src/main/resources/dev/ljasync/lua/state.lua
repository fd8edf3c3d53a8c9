-- Run once in every lua_State that LuaState makes, before any user code: the globals it uses are captured here,
-- so user code that changes them cannot break it. Returns the helpers LuaState keeps in the registry.
local stack_left, finalizer_failed, state_id = ...
local _G, tostring, type, getmetatable, error, rawget, select = _G, tostring, type, getmetatable, error, rawget, select
local load, assert = load, assert
local newproxy = newproxy
local traceback, getinfo, getmetatable_raw, ipairs = debug.traceback, debug.getinfo, debug.getmetatable, ipairs
local loaded = debug.getregistry()._LOADED

-- The library's modules, five entries each in one table (name, address and length of their bytecode in native
-- memory, which lives as long as the JVM, the module's context: a light userdata, such as the address of its way into Java, or nil, and whether user
-- code may require it): a loader loads one through the FFI when asked for it and runs it with its name, its context
-- and the state's number in Java (which the Java side of lj-async's modules knows the state by). The loaders wait
-- in the registry for sandbox.lua, which gives the library's own chunks (thread.lua) a require of their own for
-- them, with or without the package library, running each module once, in their environment; user code's require
-- gets a copy of that instance's table (see sandbox.lua). States without the package library have no require.
local preload = package and package.preload
-- The FFI of this moment: user code could make require("ffi") return a table whose string() hands bytecode of its
-- own to this unrestricted load.
local ffi = rawget(loaded, "ffi")
local setfenv = setfenv
local library_modules, visible_modules = {}, {}
local function preload_modules(_, _, _, modules)
  for i = 1, modules.n, 5 do
    local name, address, length, context, visible = modules[i], modules[i + 1], modules[i + 2], modules[i + 3],
      modules[i + 4]
    local function load_module(environment)
      if not ffi then
        error("module '" .. name .. "' needs LuaJIT's ffi library, which this state did not open", 0)
      end
      local chunk = assert(load(ffi.string(address, length), "=" .. name))
      if environment then
        setfenv(chunk, environment)
      end
      return chunk(name, context, state_id)
    end
    library_modules[name] = load_module
    visible_modules[name] = visible
  end
end
preload_modules(...)
debug.getregistry()["ljasync.modules"] = {library_modules, visible_modules}

-- LuaJIT has no limit of its own for C functions that call back into Lua (a table.sort comparator that sorts again,
-- string.gsub with a function, load with a reader function, coroutines resumed inside coroutines): each level takes
-- C stack, and a Java thread of 1 MB runs out of it long before Lua's stack is full. So these functions first ask
-- stack_left (a C function of the library, which reads the thread's real stack) whether the reserve the JVM needs is
-- still free, and raise "stack overflow" when it is not. Asking costs an upcall (50 ns), so only every third call
-- asks: of any three levels nested in one another one asks, and the reserve has room for two levels (8.5 KB each
-- for string.gsub) on top of what the JVM needs, since Lua is entered only with the reserve free. The wrapped
-- function is tail-called, so that its own errors keep the caller's position ("chunk:3: bad argument #1 to ...").
local OVERFLOW = "stack overflow (C functions calling back into Lua nested too deep for this thread's stack)"
local unasked = {0}
local function guarded(fn)
  return function(...)
    local n = unasked[1]
    if n < 2 then
      unasked[1] = n + 1
    else
      unasked[1] = 0
      if stack_left() < 0 then
        error(OVERFLOW, 2)
      end
    end
    return fn(...)
  end
end
local function guard(library, name)
  local t = library == "" and _G or rawget(_G, library)
  if type(t) == "table" and type(rawget(t, name)) == "function" then
    t[name] = guarded(rawget(t, name))
  end
end
local recursive = {"", "load", "", "dofile", "", "require", "", "module", "", "print", "table", "sort",
  "string", "gsub", "string", "format", "coroutine", "resume"}
for i = 1, #recursive, 2 do
  guard(recursive[i], recursive[i + 1])
end
-- A finalizer given to ffi.gc that cannot be called fails when the collector runs it, and when that happens on the
-- exit from a compiled trace the error crashes the process (LuaJIT issue 946, fixed in LuaJIT 2.1 in 2023, after
-- the build that Debian 12 ships): refuse such a finalizer when it is given. Any cdata passes (ffi.C.free is one).
local ffi_module = type(loaded) == "table" and rawget(loaded, "ffi")
if type(ffi_module) == "table" and type(rawget(ffi_module, "gc")) == "function" then
  local gc = ffi_module.gc
  ffi_module.gc = function(cdata, finalizer)
    local kind = type(finalizer)
    if kind ~= "nil" and kind ~= "function" and kind ~= "cdata" then
      local mt = getmetatable_raw(finalizer)
      if type(mt) ~= "table" or mt.__call == nil then
        error("bad argument #2 to 'gc' (a finalizer must be callable, not a " .. kind .. ")", 2)
      end
    end
    return gc(cdata, finalizer)
  end
end

-- string.buffer's put and putf call __tostring metamethods; the module is loaded on demand and its methods hidden
-- behind a protected metatable, which the debug library can still reach.
if preload and preload["string.buffer"] then
  local load_buffer = preload["string.buffer"]
  preload["string.buffer"] = function(...)
    local buffer = load_buffer(...)
    local methods = getmetatable_raw(buffer.new())
    methods = type(methods) == "table" and rawget(methods, "__index") or methods
    if type(methods) == "table" then
      for _, name in ipairs({"put", "putf"}) do
        if type(rawget(methods, name)) == "function" then
          methods[name] = guarded(rawget(methods, name))
        end
      end
    end
    return buffer
  end
end
local co = rawget(_G, "coroutine")
if type(co) == "table" and type(co.wrap) == "function" then
  local wrap = co.wrap
  co.wrap = function(f)
    if type(f) ~= "function" then
      error("bad argument #1 to 'wrap' (function expected, got " .. type(f) .. ")", 2)
    end
    return guarded(wrap(f))
  end
end

-- LuaJIT builds since 2023 catch an error in a __gc finalizer and hand it to the "errfin" VM event, or print it to
-- the process's stderr when nothing listens (older builds raise it inside whatever call ran the collector): listen,
-- so that it reaches Java. An older build takes the unknown event name and never sends it.
local jit_module = rawget(loaded, "jit")
if type(jit_module) == "table" and type(rawget(jit_module, "attach")) == "function" then
  jit_module.attach(function(e)
    finalizer_failed(type(e) == "string" and e or "(error object is a " .. type(e) .. " value)")
  end, "errfin")
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

-- The error being handled waits in the registry until its traceback is made: where the handler finds Lua's stack
-- full (a stack overflow on OpenResty's luajit2, which grants a handler only a few slots), calling anything fails
-- with "error in error handling", and Java then reports the error itself, without a traceback. So `handler` takes
-- as few slots as a function can before it stores the error; `describe` does the work.
local registry, UNHANDLED = debug.getregistry(), "ljasync.unhandled"
registry[UNHANDLED] = false -- the key exists from now on: storing under it allocates nothing

local function describe(e)
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
  local handled = message .. SEPARATOR .. traceback("", 2) .. POSITIONS .. positions()
  registry[UNHANDLED] = false
  return handled
end

-- Message handler of every lua_pcall made from Java: the message as a string, then the traceback, then the
-- positions.
local function handler(e)
  registry[UNHANDLED] = e
  return describe(e) -- a tail call: the levels describe counts are those of the handler
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
-- level 0 passes on a Lua error that came back through Java as it was. Instead of true, a number asks to yield
-- the results (JavaFunction.yield): the coroutine yields here, in Lua, after the C function has returned, and what
-- resumes it is what the Java function returns to Lua.
local yield = coroutine.yield
local function finish(ok, ...)
  if ok then
    if ok == true then
      return ...
    end
    return yield(...)
  end
  local message, level = ...
  error(message, level)
end

-- `guard` is an upvalue only to be collected with the wrapper (and `raw`, which nothing else holds): its finalizer
-- calls `release`, which lets the Java function go.
local function wrap(raw, guard)
  return function(...)
    local _ = guard
    return finish(raw(...))
  end
end

-- With no name (n == 0), returns the function instead of storing it: a Java module's, which its table holds.
local function register(n, ...)
  local raw, id, release = select(n + 1, ...)
  local guard = newproxy(true)
  getmetatable(guard).__gc = function()
    release(id)
  end
  if n == 0 then
    return wrap(raw, guard)
  end
  store(wrap(raw, guard), n, ...)
end

-- The Java objects' Lua side (objects.lua) is loaded when a state first needs it, with `finish`.
return handler, call, lookup, assign, register, finish
