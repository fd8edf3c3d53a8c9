-- The code behind `print` and the io library's standard streams in a lua_State that LuaState made, loaded the first
-- time one of them is used (output.lua installed the functions that load it; most states never print), in the
-- environment of the library's own chunks. They write to the state's output and error output (Java sinks) instead of
-- the process's C stdout and stderr. Java made one C closure per stream (output, error output), reachable from
-- nothing else, called with an operation and strings: ("print", s1, s2, ...) writes them joined by tabs and ended by
-- a newline, ("write", s1, ...) writes them as they are, ("flush") flushes; it returns true, or false and a message
-- (or nothing, when it could not run at all, as in the finalizers of a state the collector closes). Each operation
-- reaches Java as one call: a line that one print writes is one write to a PrintStream, never interleaved with
-- another thread's. output.lua passes the closures, the stand-ins for io.stdout and io.stderr (userdata it made, whose
-- metatables get their methods here) and io's functions as they were before any user code; this returns the
-- functions output.lua's ones call: print, write, flush, output, close and type, and the stand-ins' methods.
--
-- The functions here check their arguments themselves and raise at their caller, as LuaJIT's do, so that no error
-- shows a position in this chunk; they never tail-call the closures, whose failures they raise. output.lua's
-- functions tail-call these, so that the levels count from the caller of theirs.
local out, err, stdout, stderr, originals = ...
local G = _G -- the state's globals (the library's environment reads the globals of the moment sandbox.lua ran)
local type, select, error, rawget, unpack, getmetatable = type, select, error, rawget, unpack, getmetatable

local GONE = "the state's output could not be written (the state is being closed, or Java ran out of memory)"

-- Runs an operation of a stream's closure; a failure is raised `level` frames up from here (3: at the caller of the
-- function that called this one). The levels below count frames the same way.
local function emit(level, stream, ...)
  local ok, message = stream(...)
  if not ok then
    error(message or GONE, level)
  end
end

-- ---- print --------------------------------------------------------------------------------------------------
-- As LuaJIT's: tostring is looked up in the globals at each call (so a replaced tostring is used), and must give a
-- string (or a number) for each argument.
local function text(tostring, value)
  local s = tostring(value)
  local kind = type(s)
  if kind == "string" then
    return s
  elseif kind == "number" then
    return s .. ""
  end
  error("'tostring' must return a string to 'print'", 3)
end

local function print(...)
  local tostring = rawget(G, "tostring")
  if tostring == nil then
    tostring = G.tostring -- through G's metatable, as LuaJIT falls back to
    if tostring == nil then
      error("attempt to call a nil value (global 'tostring')", 2)
    end
  end
  local n = select("#", ...)
  if n == 1 then
    emit(3, out, "print", text(tostring, (...)))
    return
  end
  local parts = {...}
  for i = 1, n do
    parts[i] = text(tostring, parts[i])
  end
  emit(3, out, "print", unpack(parts, 1, n))
end

-- ---- io ---------------------------------------------------------------------------------------------------------
if stdout == nil then
  return {print = print} -- a state without the io library: print alone
end
local io_type, io_open, io_output, io_close = originals.type, originals.open, originals.output, originals.close

local function bad(n, name, problem, level)
  error("bad argument #" .. n .. " to '" .. name .. "' (" .. problem .. ")", level)
end

-- The stand-ins for io.stdout and io.stderr: userdata, as files are, whose methods write to a stream.
local methods = {}
local streams, names = {}, {}
local function standin(file, stream, name)
  local mt = getmetatable(file)
  mt.__index = methods
  mt.__tostring = function() return "file (" .. name .. ")" end
  streams[file], names[file] = stream, "io." .. name
end
standin(stdout, out, "stdout")
standin(stderr, err, "stderr")
local current = stdout -- the default output file: a stand-in, or a real file given to io.output

-- The stream of a stand-in given as the first argument of one of its methods.
local function stream_of(file, name)
  local stream = streams[file]
  if stream == nil then
    bad(1, name, "FILE* expected, got " .. type(file), 4)
  end
  return stream
end

-- Writes the arguments of a write (strings, and numbers as Lua formats them) to a stream, as one operation; called
-- by the functions user code calls.
local function write(stream, name, ...)
  local n = select("#", ...)
  if n == 1 then
    local s = ...
    local kind = type(s)
    if kind == "number" then
      s = s .. ""
    elseif kind ~= "string" then
      bad(1, name, "string expected, got " .. kind, 4)
    end
    emit(4, stream, "write", s)
  elseif n > 1 then
    local parts = {...}
    for i = 1, n do
      local kind = type(parts[i])
      if kind == "number" then
        parts[i] = parts[i] .. ""
      elseif kind ~= "string" then
        bad(i, name, "string expected, got " .. kind, 4)
      end
    end
    emit(4, stream, "write", unpack(parts, 1, n))
  end
end

function methods.write(file, ...)
  write(stream_of(file, "write"), "write", ...)
  return file
end

function methods.flush(file)
  emit(3, stream_of(file, "flush"), "flush")
  return true
end

function methods.setvbuf(file, mode, size)
  stream_of(file, "setvbuf")
  if type(mode) ~= "string" then
    bad(1, "setvbuf", "string expected, got " .. type(mode), 3)
  elseif mode ~= "no" and mode ~= "full" and mode ~= "line" then
    bad(1, "setvbuf", "invalid option '" .. mode .. "'", 3)
  elseif size ~= nil and type(size) ~= "number" then
    bad(2, "setvbuf", "number expected, got " .. type(size), 3)
  end
  return true -- every write reaches Java at once: there is no C buffer to set
end

function methods.close(file)
  stream_of(file, "close")
  return nil, "cannot close standard file"
end

local function unreadable(what)
  return function(file)
    stream_of(file, what)
    error(names[file] .. " cannot " .. (what == "seek" and "seek" or "be read") .. ": it writes to the state's"
      .. " output, which goes to Java", 2)
  end
end
methods.read, methods.lines, methods.seek = unreadable("read"), unreadable("lines"), unreadable("seek")

local function type_of(value)
  if streams[value] ~= nil then
    return "file"
  end
  return io_type(value)
end

local function write_default(...)
  local stream = streams[current]
  if stream == nil then
    return current:write(...) -- a real file
  end
  write(stream, "write", ...)
  return current
end

local function flush()
  local stream = streams[current]
  if stream == nil then
    return current:flush()
  end
  emit(3, stream, "flush")
  return true
end

-- io.output(): the default output file; io.output(file or name): sets it. A real file is also given to LuaJIT's
-- io.output, once checked, so that it can fail on nothing.
local function output(file)
  if file == nil or streams[file] ~= nil then
    current = file or current
    return current
  end
  local kind = type(file)
  if kind == "string" or kind == "number" then
    local opened, message = io_open(file, "w")
    if opened == nil then
      bad(1, "output", message, 3)
    end
    file = opened
  else
    local state = io_type(file)
    if state == "closed file" then
      error("attempt to use a closed file", 2)
    elseif state ~= "file" then
      bad(1, "output", "FILE* expected, got " .. kind, 3)
    end
  end
  io_output(file)
  current = file
  return file
end

local function close(file)
  if file == nil then
    file = current
  end
  if streams[file] ~= nil then
    return nil, "cannot close standard file"
  end
  return io_close(file)
end

return {print = print, write = write_default, flush = flush, output = output, close = close, type = type_of,
  methods = methods}
