-- Run once in every lua_State that LuaState makes, after sandbox.lua, in the environment of the library's own
-- chunks: `print`, and with the io library `io.write`, `io.stdout`, `io.stderr` and what goes with them, write to
-- the state's output and error output (Java sinks) instead of the process's C stdout and stderr. The code that does
-- it (streams.lua) takes a tenth of a state's heap and most states never print: so the functions here load it the
-- first time one of them is used, through `load_streams` (a C function of the library that pushes that chunk, or
-- nil and a message), and tail-call its functions, whose errors then name the line that called these.
local out, err, load_streams = ...
local G = _G -- the state's globals (the library's environment reads the globals of the moment sandbox.lua ran)
local rawget, type, newproxy, getmetatable, setfenv, getfenv, error, tostring = rawget, type, newproxy, getmetatable,
  setfenv, getfenv, error, tostring

local io = rawget(G, "io")
local stdout, stderr, originals
if type(io) == "table" then
  -- io.stdout and io.stderr are values from the start; streams.lua gives their metatables the methods
  stdout, stderr = newproxy(true), newproxy(true)
  originals = {type = io.type, open = io.open, output = io.output, close = io.close}
end

local streams
local function loaded()
  if streams == nil then
    local chunk, message = load_streams()
    if chunk == nil then
      error(message or "the state's output could not be set up", 0)
    end
    setfenv(chunk, getfenv(1))
    streams = chunk(out, err, stdout, stderr, originals)
  end
  return streams
end

G.print = function(...)
  return loaded().print(...)
end
if stdout == nil then
  return -- a state without the io library: print alone
end

io.write = function(...)
  return loaded().write(...)
end
io.flush = function()
  return loaded().flush()
end
io.output = function(file)
  return loaded().output(file)
end
io.close = function(file)
  return loaded().close(file)
end
io.type = function(value)
  return loaded().type(value)
end

local function index(_, key)
  return loaded().methods[key]
end
local function text(file)
  loaded()
  return tostring(file) -- with the __tostring streams.lua set
end
for _, file in next, {stdout, stderr} do
  local mt = getmetatable(file)
  mt.__index, mt.__tostring = index, text
end
io.stdout, io.stderr = stdout, stderr
