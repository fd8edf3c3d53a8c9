-- The Lua side of references and conversions (LuaValue, LuaTable), loaded the first time a state needs one: what
-- must run protected (indexing may run metamethods, resuming runs Lua code) or needs the FFI (int64_t cdata).
-- Runs in the environment of the library's own chunks, so user code that changes the globals cannot break it.
local type, error, select, unpack, tostring = type, error, select, unpack, tostring
local resume, status, create = coroutine.resume, coroutine.status, coroutine.create
local ok, ffi = pcall(require, "ffi")
if not ok then
  ffi = nil
end

local function index(t, k)
  return t[k]
end

local function newindex(t, k, v)
  t[k] = v
end

local function length(t)
  return #t
end

-- Resumes co with the arguments; returns what it yields or returns. A failure is raised again as it was, so the
-- message keeps the position where the coroutine failed (and os.exit or an interruption stay what they are).
local function finish(co, done, ...)
  if done then
    return ...
  end
  error((...), 0)
end

local function resume_from_java(co, ...)
  return finish(co, resume(co, ...))
end

local function coroutine_of(f)
  if type(f) ~= "function" then
    error("a coroutine is made from a function, not from a " .. type(f) .. " value", 0)
  end
  return create(f)
end

local cdata_kind, int64_from, numbers
if ffi then
  local istype, cast = ffi.istype, ffi.cast
  local int64_t, uint64_t = ffi.typeof("int64_t"), ffi.typeof("uint64_t")
  local int64_p, uint64_p = ffi.typeof("int64_t *"), ffi.typeof("uint64_t *")
  -- 1 for an int64_t, 2 for a uint64_t (its bits stored at address), else 0
  cdata_kind = function(v, address)
    if istype(int64_t, v) then
      cast(int64_p, address)[0] = v
      return 1
    elseif istype(uint64_t, v) then
      cast(uint64_p, address)[0] = v
      return 2
    end
    return 0
  end
  -- the int64_t (or uint64_t when unsigned) whose bits are at address
  int64_from = function(address, unsigned)
    if unsigned then
      return cast(uint64_p, address)[0]
    end
    return cast(int64_p, address)[0]
  end
  -- Whether t is exactly the sequence t[1..n] of numbers, with no other key; if so its numbers are at address (the
  -- copy of a large array in one call, not a few calls from Java for each element). Raw, as copies are.
  local double_p, rawget, next = ffi.typeof("double *"), rawget, next
  numbers = function(t, address, n)
    local p = cast(double_p, address)
    for i = 1, n do
      local v = rawget(t, i)
      if type(v) ~= "number" then
        return false
      end
      p[i - 1] = v
    end
    local count = 0
    for _ in next, t do
      count = count + 1
    end
    return count == n
  end
else
  cdata_kind = function()
    return 0
  end
  int64_from = function()
    error("a Java long beyond 2^53 becomes an int64_t cdata, and this state has no FFI library", 0)
  end
  numbers = function()
    return false
  end
end

-- The payload of ljasync.copy for a function (a callback's or thread's, from Java's LuaValue) and values for it: what
-- names it in errors.
local function pack(f, what, ...)
  return require("ljasync.copy").pack(what, f, ...)
end

return index, newindex, length, resume_from_java, status, coroutine_of, cdata_kind, int64_from, numbers, pack
