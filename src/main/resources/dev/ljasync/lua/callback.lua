-- Run once in each state of a callback, before the user's chunk: it captures what it needs, so a chunk that
-- changes globals cannot break it. Java passes the address of the state's frame (the memory where each call's
-- arguments are written and its result is read), the C type of the result ("" for void), then the C type and
-- byte offset of each parameter. Returns `bind`, which turns the user's function into the state's entry: a
-- function of no arguments that reads the arguments from the frame, calls the user's function and stores its
-- result, all through the FFI, so values convert exactly as they do for LuaJIT's own callbacks. The second result,
-- entryAt(address, fn), does the same for a frame of this layout at another address.
local ffi = require("ffi")
local typeof = require("ljasync.ctype") -- declares the struct and union tags the type names
local load, select, error, tostring, unpack = load, select, error, tostring, unpack
local concat = table.concat

local function setup(address, result, ...)
  local n = select("#", ...) / 2
  local fields, types, args = {}, {}, {}
  if result ~= "" then
    fields[1] = "$ r;"
    types[1] = typeof(result)
  end
  for i = 1, n do
    fields[#fields + 1] = "$ a" .. i .. ";"
    types[#types + 1] = typeof((select(2 * i - 1, ...)))
    args[i] = "f.a" .. i
  end
  local frame_t = ffi.typeof("struct { " .. concat(fields, " ") .. " }", unpack(types))

  -- Java writes the arguments at offsets it computed by the C layout rules; LuaJIT must agree, or nothing works.
  for i = 1, n do
    local expected = select(2 * i, ...)
    local actual = ffi.offsetof(frame_t, "a" .. i)
    if actual ~= expected then
      error("frame layout mismatch: argument " .. i .. " is at offset " .. tostring(actual) .. " for LuaJIT and "
        .. tostring(expected) .. " for Java", 0)
    end
  end
  local frame_p = ffi.typeof("$ *", frame_t)

  -- The entry is compiled from source so that it calls the function with exactly n arguments (no varargs, no
  -- table): LuaJIT turns it into plain loads from the frame.
  local call = "callback(" .. concat(args, ", ") .. ")"
  local source = "local callback, f = ...\nreturn function() " .. (result ~= "" and "f.r = " or "") .. call .. " end"
  local make = load(source, "=ljasync.entry")

  local frame = ffi.cast(frame_p, address)
  -- The second result makes the entry of a function for a frame at another address: a LuaState keeps it for the
  -- other handles of this signature, because every struct type takes FFI ctype ids for good (LuaJIT has 65,536).
  return function(fn)
    return make(fn, frame)
  end, function(at, fn)
    return make(fn, ffi.cast(frame_p, at))
  end
end

return setup(...)
