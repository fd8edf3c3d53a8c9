-- Run in a state whose builder gave Java modules, after sandbox.lua and before any user code: puts a searcher for
-- each group of them into package.loaders, in the builder's order, after package.preload's searcher and before the
-- file searchers. Java passes state.lua's register, then for each searcher either "functions", a count of modules
-- and for each module its name, a count of functions and for each function its name and what register takes
-- (C closure, id, release); or "source" and what register takes for the Java function that finds a module's
-- source.
local register = ...
local error, load = error, load -- the sandbox's load: text only, unless bytecode was allowed
local loaders = package.loaders

local function functions_searcher(modules)
  return function(name)
    local module = modules[name]
    if module == nil then
      return "\n\tno Java module '" .. name .. "'"
    end
    return function()
      return module
    end
  end
end

-- find(name) returns the module's source, its chunk name, the place it came from and the mode to load it in (nil:
-- as the sandbox allows); nil and the places it looked at; or false, what went wrong and the place.
local function source_searcher(find)
  return function(name)
    local text, chunkname, place, mode = find(name)
    if text == nil then
      return chunkname
    end
    local f, why = nil, chunkname
    if text then
      f, why = load(text, chunkname, mode)
    end
    if f == nil then
      error("error loading module '" .. name .. "' from " .. place .. ":\n\t" .. why, 0)
    end
    return f
  end
end

local args, searchers, i = {...}, {}, 2
while args[i] ~= nil do
  if args[i] == "functions" then
    local modules = {}
    i = i + 2
    for _ = 1, args[i - 1] do
      local module = {}
      modules[args[i]] = module
      i = i + 2
      for _ = 1, args[i - 1] do
        module[args[i]] = register(0, args[i + 1], args[i + 2], args[i + 3])
        i = i + 4
      end
    end
    searchers[#searchers + 1] = functions_searcher(modules)
  else
    searchers[#searchers + 1] = source_searcher(register(0, args[i + 1], args[i + 2], args[i + 3]))
    i = i + 4
  end
end

local count = #searchers
for k = #loaders, 2, -1 do
  loaders[k + count] = loaders[k]
end
for k = 1, count do
  loaders[1 + k] = searchers[k]
end
