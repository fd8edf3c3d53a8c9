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
--   * pcall, xpcall, coroutine.resume, load and loadstring, whose replacements (sandbox.lua) raise the interruption again when they
--     catch an error while it is raised, are protected like this chunk's functions.
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

local function refuse(name, why)
  return protect(function()
    error(name .. " is not available in an interruptible state: " .. why, 2)
  end)
end

-- their upvalues hold the functions that catch everything
protect(pcall)
protect(xpcall)
protect(load) -- its reader's
protect(loadstring)
if coroutine then
  protect(coroutine.resume)
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
