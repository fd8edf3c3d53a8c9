-- Run in every interruptible lua_State (LuaState.builder().interruptible(true), cancellable LuaThreads) right after
-- state.lua, before any user code, with the debug library's table (which state.lua may have hidden). Java turned
-- the JIT compiler off (LuaJIT runs no hook inside compiled code); this chunk sets a count hook that raises the
-- interruption error once `raised()` (a C function reading the state's flag, set from Java by another thread) says
-- so, and makes that impossible to undo from Lua:
--   * jit.on is refused, so compiled code never runs;
--   * debug.sethook is refused and debug.gethook hides the hook, so the hook stays;
--   * debug.getregistry is refused (the registry holds the hook function, under a light userdata key);
--   * debug.getupvalue, setupvalue, upvalueid and upvaluejoin refuse this chunk's functions (their upvalues hold
--     the originals);
--   * pcall, xpcall and coroutine.resume raise the interruption again when they caught an error while it is raised.
-- LuaJIT runs no hook inside __gc finalizers and while lua_close runs them: Java bounds those waits instead.
-- Code with the FFI can reach LuaJIT's C API and undo all of this: that is trusted code.
local debug, raised, message = ...
local error, select, setmetatable, ipairs = error, select, setmetatable, ipairs
local sethook = debug.sethook

local protected = setmetatable({}, {__mode = "k"})

local function protect(f)
  protected[f] = true
  return f
end

local function hook()
  if raised() then
    error(message, 0)
  end
end
protect(hook)

-- What a catching function returned: passed on unless it caught an error while the interruption is raised.
local function after(ok, ...)
  if not ok and raised() then
    error(message, 0)
  end
  return ok, ...
end
protect(after)

local function refuse(name, why)
  return protect(function()
    error(name .. " is not available in an interruptible state: " .. why, 2)
  end)
end

local raw_pcall, raw_xpcall = pcall, xpcall
_G.pcall = protect(function(f, ...)
  return after(raw_pcall(f, ...))
end)
-- The message handler does not run for the interruption: raised inside the hook, it would run with hooks off.
_G.xpcall = protect(function(f, handler, ...)
  return after(raw_xpcall(f, function(e)
    if raised() then
      return e
    end
    return handler(e)
  end, ...))
end)

if coroutine then
  local raw_resume = coroutine.resume
  coroutine.resume = protect(function(co, ...)
    return after(raw_resume(co, ...))
  end)
end

if jit then
  jit.on = refuse("jit.on", "the JIT compiler stays off, since LuaJIT runs no hook in compiled code")
end

debug.sethook = refuse("debug.sethook", "the state's own count hook checks for interruption")
debug.gethook = protect(function()
  return nil
end)
debug.getregistry = refuse("debug.getregistry", "the registry holds the state's hook")
for _, name in ipairs({"getupvalue", "setupvalue", "upvalueid", "upvaluejoin"}) do
  local raw = debug[name]
  if raw then
    debug[name] = protect(function(f, ...)
      if protected[f] or (name == "upvaluejoin" and protected[select(2, ...)]) then
        error("debug." .. name .. " is not available on the library's own functions in an interruptible state", 2)
      end
      return raw(f, ...)
    end)
  end
end

sethook(hook, "", 10000)
