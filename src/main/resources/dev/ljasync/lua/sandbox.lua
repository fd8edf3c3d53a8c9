-- Run once in every lua_State that LuaState makes, after state.lua and before any user code: it makes the state
-- hold what its builder promised. Java passes whether Lua's own loaders may take bytecode, whether native modules
-- may be loaded, whether os.exit may end the process, the registry slot where os.exit leaves its code for Java, for
-- an interruptible state the C function that says whether it is interrupted and the error that ends it (else two
-- nils), and the names of the libraries that were opened only for the library's own code (they are taken away here). Returns
-- the environment of the library's own chunks (callback.lua, thread.lua).
--
-- The functions replaced here are kept in locals named as the globals they were: LuaJIT names a function in its
-- "bad argument" errors by the variable it was called through. Each replacement checks its arguments itself and
-- raises at its caller, so that no error shows a position in this chunk.
local bytecode, native, process_exit, exit_slot, raised, interruption = ...
local _G, type, error, next, select, tonumber, getmetatable, setmetatable = _G, type, error, next, select, tonumber,
  getmetatable, setmetatable
local load, loadfile, pcall, xpcall, getfenv, setfenv, unpack = load, loadfile, pcall, xpcall, getfenv, setfenv,
  unpack
local coroutine, package, os = coroutine, package, os
local resume = coroutine.resume
local debug = debug -- always opened; hidden below unless asked for
local registry, getinfo, setmetatable_any = debug.getregistry(), debug.getinfo, debug.setmetatable
local loaded, preload = registry._LOADED, registry._PRELOAD

-- LuaJIT's error for a bad argument of the function that called this one, raised where that function was called
-- (or `level` frames up from here, for a helper of that function).
local function bad(n, name, problem, level)
  error("bad argument #" .. n .. " to '" .. name .. "' (" .. problem .. ")", level or 3)
end

local function check_string(value, n, name) -- nil, or what LuaJIT takes as a string
  local kind = type(value)
  if kind ~= "nil" and kind ~= "string" and kind ~= "number" then
    bad(n, name, "string expected, got " .. kind, 4)
  end
end

-- ---- os.exit ends the Lua code, not the process --------------------------------------------------------------
-- The error is a table that nothing in Lua can catch: pcall, xpcall, coroutine.resume and load (whose reader may
-- raise it) pass it on. Java finds the code in the registry slot, which Lua code cannot reach without the debug
-- library.
local exit_mt = {__tostring = function(e) return e.message end}

local function is_exit(e)
  return type(e) == "table" and getmetatable(e) == exit_mt
end

-- ---- errors Lua code cannot catch -------------------------------------------------------------------------------
-- os.exit's error, and an interruption while it is raised (the hook of interrupt.lua raises it again and again, but
-- a pcall must not even delay it): the error to raise again in place of `e`, or nil when `e` may be caught.
local function uncatchable(e)
  if is_exit(e) then
    return e
  elseif raised and raised() then
    return interruption
  end
  return nil
end

local function passon(ok, ...)
  if not ok then
    local again = uncatchable((...))
    if again ~= nil then
      error(again, 0)
    end
  end
  return ok, ...
end

local function exit(code)
  local status = 0 -- os.exit(), os.exit(true): EXIT_SUCCESS; os.exit(false): EXIT_FAILURE; else an integer
  if code == false then
    status = 1
  elseif code ~= nil and code ~= true then
    status = tonumber(code)
    if status == nil then
      bad(1, "exit", "number expected, got " .. type(code))
    elseif not (status >= -2147483648 and status < 2147483648) then -- NaN too
      bad(1, "exit", "the exit code does not fit an int")
    end
    status = status - status % 1 -- an integer, as LuaJIT's os.exit takes it
  end
  local where = getinfo(2, "Sl")
  local position = where and where.currentline > 0 and where.short_src .. ":" .. where.currentline .. ": " or ""
  registry[exit_slot] = status
  error(setmetatable({message = position .. "os.exit(" .. status .. ") ends this Lua code, not the process"},
    exit_mt), 0)
end

if os and not process_exit then
  os.exit = exit
end

if (os and not process_exit) or raised then
  _G.pcall = function(...)
    if select("#", ...) == 0 then
      bad(1, "pcall", "value expected")
    end
    return passon(pcall(...))
  end
  _G.xpcall = function(f, handler, ...)
    if type(handler) ~= "function" then
      bad(2, "xpcall", "function expected, got " .. type(handler))
    end
    -- the handler never sees an uncatchable error (an interruption is raised inside the hook, where a handler would
    -- run with hooks off, unstoppable), and one it raises itself goes on (not as "error in error handling")
    return passon(xpcall(f, function(e)
      local again = uncatchable(e)
      if again ~= nil then
        return again
      end
      local ok, result = pcall(handler, e)
      if ok or uncatchable(result) ~= nil then
        return result
      end
      error(result, 0)
    end, ...))
  end
  coroutine.resume = function(co, ...)
    if type(co) ~= "thread" then
      bad(1, "resume", "coroutine expected")
    end
    return passon(resume(co, ...))
  end
end

-- ---- text is text ------------------------------------------------------------------------------------------
-- LuaJIT does not verify bytecode: one edited operand reads or writes any address. Unless bytecode was asked for,
-- Lua's own loaders load text only, whatever mode their caller asks for.
local WRONG_MODE = "attempt to load chunk with wrong mode" -- LuaJIT's message when the mode refuses a chunk
local REFUSED = "attempt to load a binary chunk: this state loads Lua source only (LuaJIT does not verify"
  .. " bytecode; LuaState.Builder.bytecode(true) allows it)"
local mode_of = bytecode and function(mode) return mode end or function() return "t" end

local function loaded_chunk(f, message)
  if f == nil and message == WRONG_MODE and not bytecode then
    message = REFUSED
  end
  return f, message
end

-- The pieces a reader function returns, joined (pairs of similar length first, so that joining costs n log n), or
-- nil and its error. LuaJIT runs the message handler of the pcall from Java on an error inside load's reader, so
-- load would return that handler's text; read here, the error is what the reader raised, and an os.exit goes on.
local function read(reader)
  local pieces, n = {}, 0
  while true do
    local ok, piece = pcall(reader)
    if not ok then
      local again = uncatchable(piece)
      if again ~= nil then
        error(again, 0)
      end
      return nil, piece
    elseif piece == nil or piece == "" then
      break
    elseif type(piece) == "number" then
      piece = piece .. ""
    elseif type(piece) ~= "string" then
      return nil, "reader function must return a string"
    end
    n = n + 1
    pieces[n] = piece
    while n > 1 and #pieces[n] >= #pieces[n - 1] do
      pieces[n - 1], pieces[n], n = pieces[n - 1] .. pieces[n], nil, n - 1
    end
  end
  for i = n - 1, 1, -1 do
    pieces[i] = pieces[i] .. pieces[i + 1]
  end
  return pieces[1] or ""
end

-- load and loadstring (the same function in LuaJIT, but for its name)
local function loader(name)
  return function(chunk, chunkname, mode, ...)
    check_string(chunkname, 2, name)
    check_string(mode, 3, name)
    local kind = type(chunk)
    if kind == "function" then
      local text, err = read(chunk)
      if text == nil then
        return nil, err
      end
      chunk, chunkname = text, chunkname or "=(load)"
    elseif kind ~= "string" and kind ~= "number" then
      bad(1, name, "function expected, got " .. kind)
    end
    return loaded_chunk(load(chunk, chunkname, mode_of(mode), ...))
  end
end
_G.load, _G.loadstring = loader("load"), loader("loadstring")

if not bytecode then
  local function text_loadfile(filename, mode, ...)
    check_string(filename, 1, "loadfile")
    check_string(mode, 2, "loadfile")
    return loaded_chunk(loadfile(filename, "t", ...))
  end
  _G.loadfile = text_loadfile
  _G.dofile = function(filename)
    check_string(filename, 1, "dofile")
    local f, message = loaded_chunk(loadfile(filename, "t"))
    if f == nil then
      error(message, 0)
    end
    return f()
  end
  if package then
    -- require's searcher of Lua files, as LuaJIT's, but through the text-only loadfile
    local searchpath = package.searchpath
    package.loaders[2] = function(name)
      local file, message = searchpath(name, package.path)
      if file == nil then
        return message
      end
      local f, why = text_loadfile(file)
      if f == nil then
        error("error loading module '" .. name .. "' from file '" .. file .. "':\n\t" .. why, 0)
      end
      return f
    end
  end
end

-- ---- native code is a choice of its own --------------------------------------------------------------------
-- package.loadlib and the C searchers load any shared object, the FFI and every library of LuaJIT among them.
if package and not native then
  package.loadlib = nil
  package.loaders[4] = nil -- all-in-one
  package.loaders[3] = nil -- C
end

-- ---- the library's own chunks never see what user code does to the globals --------------------------------
-- They read the globals and modules of this moment, the private libraries included, and write (pcall = ...,
-- _G.x = ...) to the state's globals, as any chunk does: their environment is an empty table with a metatable,
-- which user code cannot get (getfenv shows the globals in its place) nor change.
local globals, modules = {}, {}
for k, v in next, _G do
  globals[k] = v
end
for k, v in next, loaded do
  modules[k] = v
end
local environment = setmetatable({}, {__index = globals, __newindex = _G, __metatable = false})
-- The library's modules (state.lua's loaders) load on the first require of the library's code: an instance of its
-- own, which user code never sees, in states without the package library too.
local library_modules, visible_modules = unpack(registry["ljasync.modules"] or {{}, {}})
registry["ljasync.modules"] = nil
local function library_require(name)
  local m = modules[name]
  if m == nil and library_modules[name] then
    m = library_modules[name](environment)
    modules[name] = m
  end
  if m == nil then
    error("the library's own code needs module '" .. name .. "', which this state did not open", 2)
  end
  return m
end
globals.require = library_require
-- Lua's own load, which takes bytecode: for ljasync.copy, which loads the functions it copied from another state.
globals.ljasync_load = load
-- package.loaded, which ljasync.copy looks modules up in (debug.getregistry is refused in an interruptible state).
globals.ljasync_loaded = loaded
-- User code's require gets a copy of the library's instance: the same functions (and the same FFI types, so that a
-- channel made through either is a channel to both), in a table that user code may change without changing the
-- library's. A module's `_private` field is for the library's code only.
if preload then
  for name in next, library_modules do
    if visible_modules[name] then
      preload[name] = function()
        local m = library_require(name)
        if type(m) ~= "table" then
          return m -- lj-async.mutex's type, say
        end
        local copy = {}
        for k, v in next, m do
          if k ~= "_private" then
            copy[k] = v
          end
        end
        return setmetatable(copy, getmetatable(m)) -- lj-async.thread's module is called as Thread(f, ud)
      end
    end
  end
end

-- A level of getfenv/setfenv as seen from the replacement (one more), or the function, after LuaJIT's checks.
local function target(f, name)
  local kind = type(f)
  if kind == "function" then
    return f
  elseif kind == "nil" then
    return 2
  elseif kind ~= "number" then
    bad(1, name, "number expected, got " .. kind, 4)
  elseif f < 0 or (f > 0 and getinfo(f + 2, "f") == nil) then -- f + 2: as seen from here, one call deeper
    bad(1, name, "invalid level", 4)
  end
  return f == 0 and 0 or f + 1
end

_G.getfenv = function(f)
  local env = getfenv(target(f, "getfenv"))
  if env == environment then
    return _G
  end
  return env
end
_G.setfenv = function(f, table)
  local at = target(f, "setfenv")
  if type(table) ~= "table" then
    bad(2, "setfenv", "table expected, got " .. type(table))
  end
  if at ~= 0 then
    local info = getinfo(at, "S") -- levels count from here, as for setfenv
    if info.what == "C" then
      error("'setfenv' cannot change environment of given object", 2)
    elseif getfenv(at) == environment then
      error("the environment of the library's own functions cannot be changed", 2)
    end
  end
  local result = setfenv(at, table) -- not a tail call: the level counts this function's frame
  return result
end

-- ---- libraries opened only for the library's own code ------------------------------------------------------
-- Gone from the globals, package.loaded and package.preload (their submodules: table.new, jit.util, ...).
-- string.buffer goes with the FFI too: buf:reserve() and buf:ref() hand out FFI pointers, and the first of them
-- opens the FFI, which registers itself in package.loaded.
local SUBMODULES = {table = {"table.new", "table.clear"}, jit = {"jit.util", "jit.profile"}, string = {"string.buffer"},
  ffi = {"string.buffer"}}
for i = 1, select("#", ...) - 6 do
  local name = select(6 + i, ...)
  _G[name] = nil
  loaded[name] = nil
  for _, submodule in next, SUBMODULES[name] or {} do
    if preload then
      preload[submodule] = nil
    end
  end
  if name == "string" then
    setmetatable_any("", nil) -- no methods on string values either
  end
end

return environment
