-- ljasync.copy: copies a Lua function into another state with its upvalues, for lj-async's callbacks and threads
-- and for the Java API that takes a LuaValue. Only the library's own code requires it.
--
--   local payload = copy.pack(what, f, ...)  -- f: a function, or Lua source text; ...: values for it
--   local f, ... = copy.unpack(payload)      -- in the new state
--
-- What crosses, and how:
--   nil, booleans, numbers, strings, int64_t/uint64_t cdata     as themselves
--   a Lua function                                               its bytecode (string.dump) and its upvalues, each
--                                                                copied by these rules; upvalues that two copied
--                                                                functions share stay shared (debug.upvaluejoin)
--   a table                                                      a new table, raw, with its metatable; shared parts
--                                                                and cycles kept, tables and functions as keys too
--   a loaded module (package.loaded[name]: ffi, string, _G...)   required by its name in the new state
--   a C function, a userdata or a library function found in a    that module's field in the new state (print,
--     loaded module (one level: string.format, io.stdout)        string.format, io.stdout, ffi.C)
--   a channel, mutex, semaphore or keeper of ljasync.sync        the same object (its handle)
--   a pointer, array or struct cdata                             its address, as a void * (the memory must outlive
--                                                                its use there)
--   Lua source text given as f                                   loaded in the new state, as its own load would
-- Anything else (a coroutine, a C function or userdata in no loaded module, other cdata) is refused with an error
-- that names where it sits ("upvalue 'co' of function <chunk:3>").
--
-- The copy is a graph of nodes: node i is {kind, ...} and a value is either a scalar or {i}, a reference to node i
-- (tables of the user's are always nodes, so any table in a value is a reference). Nodes are made before their
-- contents, so cycles need nothing special. The graph travels as Lua source text, a table constructor that the new
-- state's parser reads back (faster than loading a decoder there).
local ffi = require("ffi")
local type, next, select, pcall, error, tostring, rawget, rawequal, setmetatable, getfenv, setfenv, unpack, require =
  type, next, select, pcall, error, tostring, rawget, rawequal, setmetatable, getfenv, setfenv, unpack, require
local dump, find, match, sub, format, concat = string.dump, string.find, string.match, string.sub, string.format,
  table.concat
local getupvalue, setupvalue, upvalueid, upvaluejoin, getinfo, getmetatable, setmetatable_raw = debug.getupvalue,
  debug.setupvalue, debug.upvalueid, debug.upvaluejoin, debug.getinfo, debug.getmetatable, debug.setmetatable
local loaded = ljasync_loaded -- package.loaded, from the library environment
local raw_load, load = ljasync_load, load -- the library environment has both: Lua's own, and the state's policy
local istype, cast, new = ffi.istype, ffi.cast, ffi.new
local void_p, uintptr_t = ffi.typeof("void *"), ffi.typeof("uintptr_t")

local MAX_DEPTH = 200
local refused_types = {} -- cdata types of the library's objects that belong to their state, and why

local copy = {}

-- ljasync.sync, loaded where a copy meets cdata (which may be one of its objects) or makes one of its objects
local sync
local function sync_module()
  sync = sync or require("ljasync.sync")
  return sync
end

-- The graph as the source of a table constructor (strings by %q, which round-trips every byte; numbers exact).
local function serialize(v, out)
  local tv = type(v)
  if tv == "table" then
    out[#out + 1] = "{"
    for k, x in next, v do
      out[#out + 1] = "["
      serialize(k, out)
      out[#out + 1] = "]="
      serialize(x, out)
      out[#out + 1] = ","
    end
    out[#out + 1] = "}"
  elseif tv == "string" then
    out[#out + 1] = format("%q", v)
  elseif tv == "number" then
    if v ~= v then
      out[#out + 1] = "0/0"
    elseif v == 1 / 0 or v == -1 / 0 then
      out[#out + 1] = v > 0 and "1/0" or "-1/0"
    else
      out[#out + 1] = format("%.17g", v)
    end
  else -- a boolean, an int64_t or uint64_t cdata (5LL, 5ULL)
    out[#out + 1] = tostring(v)
  end
end

--- Makes values of FFI type `ct` refused, with `why`.
function copy.refuse(ct, why)
  refused_types[#refused_types + 1] = {ct, why}
end

local function library_source(source)
  return find(source, "^=ljasync%.") or find(source, "^=lj%-async%.")
end

local function describe_function(f)
  local info = getinfo(f, "S")
  if info.what == "C" then
    return "a C function"
  end
  return "function <" .. info.short_src .. ":" .. info.linedefined .. ">"
end

-- The C type, as text, of a pointer to what v points to, is or holds (int * for an int *, an int[4] or a
-- struct's int field...), when the other state can parse it: not for anonymous structs, whose types have numbers.
local function pointer_type(v)
  local t = match(tostring(ffi.typeof(v)), "^ctype<(.*)>$")
  if t == nil or find(t, "struct %d") or find(t, "union %d") or find(t, "enum %d") then
    return nil
  elseif find(t, "%*$") or find(t, "%(%*%)") then
    return t
  end
  local element = match(t, "^(.-) ?%[%d*%]$")
  return (element or t) .. " *"
end

local function key_text(k)
  if type(k) == "string" and find(k, "^[%a_][%w_]*$") then
    return "." .. k
  elseif type(k) == "string" then
    return format("[%q]", k)
  end
  return "[" .. tostring(k) .. "]"
end

--- The payload of f (a function or source text) and the values after it.
function copy.pack(what, f, ...)
  local nodes, numbers, shared_upvalues = {}, {}, {}
  local fields -- value -> {module, key}: made the first time it is needed

  local function field_of(v)
    if fields == nil then
      fields = {}
      for name, m in next, loaded do
        if type(name) == "string" and type(m) == "table" then
          for k, x in next, m do
            local tx = type(x)
            if type(k) == "string" and (tx == "function" or tx == "userdata" or tx == "cdata") and fields[x] == nil
              and not rawequal(x, m) then
              fields[x] = {name, k}
            end
          end
        end
      end
    end
    return fields[v]
  end

  local function module_of(t)
    for name, m in next, loaded do
      if rawequal(m, t) and type(name) == "string" then
        return name
      end
    end
  end

  local function fail(where, problem)
    error(where .. " " .. problem, 0)
  end

  local slot

  local function add(node, v)
    local n = #nodes + 1
    nodes[n] = node
    numbers[v] = n
    return {n}
  end

  -- The node of a value that the other state finds by name (a loaded module's field), or nil.
  local function field_node(v, where)
    local f = field_of(v)
    return f and add({"field", f[1], f[2], where}, v)
  end

  local function named(v, where, problem)
    return field_node(v, where) or fail(where, problem)
  end

  local function function_node(v, where, depth)
    local info = getinfo(v, "S")
    if info.what == "C" then
      return named(v, where, "is a C function that is in no loaded module (only Lua functions are copied; a C"
        .. " function must be one the other state can find by name, as print or string.format)")
    elseif library_source(info.source) then
      return named(v, where, "is a function of the library's own (" .. sub(info.source, 2) .. "), which is in no"
        .. " loaded module")
    end
    local node = {"function", dump(v), {}, {}}
    local ref = add(node, v)
    local me = describe_function(v)
    local env = getfenv(v)
    if not rawequal(env, _G) then
      node.env = slot(env, "the environment of " .. me, depth + 1)
    end
    local i = 1
    while true do
      local name, value = getupvalue(v, i)
      if name == nil then
        break
      end
      local id = upvalueid(v, i)
      local first = shared_upvalues[id]
      if first then
        node[4][i] = first
      else
        shared_upvalues[id] = {ref[1], i}
        if value ~= nil then
          node[3][i] = slot(value, "upvalue '" .. name .. "' of " .. me, depth + 1)
        end
      end
      i = i + 1
    end
    return ref
  end

  local function table_node(t, where, depth)
    local name = module_of(t)
    if name then
      return add({"module", name, where}, t)
    end
    local keys, values = {}, {}
    local node = {"table", keys, values}
    local ref = add(node, t)
    local n = 0
    for k, x in next, t do
      n = n + 1
      keys[n] = slot(k, where .. " (a key)", depth + 1)
      values[n] = slot(x, where .. key_text(k), depth + 1)
    end
    local mt = getmetatable(t)
    if mt ~= nil then
      node.meta = slot(mt, "the metatable of " .. where, depth + 1)
    end
    return ref
  end

  local function cdata_node(v, where)
    if sync_module().kind(v) then
      return add({"shared", v:handle()}, v)
    end
    for _, refused in next, refused_types do
      if istype(refused[1], v) then
        fail(where, refused[2])
      end
    end
    local field = field_node(v, where)
    if field then
      return field
    end
    local ok, p = pcall(new, void_p, v)
    if not ok then
      fail(where, "is a cdata of type " .. tostring(ffi.typeof(v)) .. "; of cdata, int64_t and uint64_t are copied,"
        .. " and pointers, arrays and structs cross as their address")
    end
    return add({"pointer", cast(uintptr_t, p), pointer_type(v)}, v)
  end

  function slot(v, where, depth)
    local tv = type(v)
    if tv == "nil" or tv == "boolean" or tv == "number" or tv == "string" then
      return v
    elseif tv == "cdata" and (istype("int64_t", v) or istype("uint64_t", v)) then
      return v
    end
    local known = numbers[v]
    if known then
      return {known}
    elseif depth > MAX_DEPTH then
      fail(where, "nests tables and functions more than " .. MAX_DEPTH .. " deep")
    elseif tv == "function" then
      return function_node(v, where, depth)
    elseif tv == "table" then
      return table_node(v, where, depth)
    elseif tv == "cdata" then
      return cdata_node(v, where)
    elseif tv == "userdata" then
      local field = field_node(v, where)
      if field then
        return field
      end
      local ok, p = pcall(new, void_p, v) -- a light userdata is a pointer
      if ok and getmetatable(v) == nil then
        return add({"pointer", cast(uintptr_t, p)}, v)
      end
      fail(where, "is a full userdata in no loaded module, which cannot be copied into another state")
    end
    fail(where, "is a " .. tv .. ", which cannot be copied into another state")
  end

  local root
  if type(f) == "string" then
    root = add({"chunk", f, "=" .. what}, {})
  elseif type(f) == "function" then
    root = slot(f, "the " .. what .. " function", 1)
  else
    error("the " .. what .. " is a function or Lua source text, not a " .. type(f) .. " value", 0)
  end
  local n = select("#", ...)
  local args = {}
  for i = 1, n do
    args[i] = slot((select(i, ...)), "argument " .. i .. " of the " .. what, 1)
  end
  local out = {"return "}
  serialize({nodes, root, n, args}, out)
  return concat(out)
end

local function module_named(name, where)
  local m = loaded[name]
  if m == nil then
    local require = rawget(_G, "require")
    local ok, found = false, nil
    if type(require) == "function" then
      ok, found = pcall(require, name)
    end
    if not ok or found == nil then
      error(where .. " is module '" .. name .. "', which this state cannot require"
        .. (ok and "" or ": " .. tostring(found)), 0)
    end
    m = found
  end
  return m
end

-- The objects of a state's copies that a wrapper or an address refers to: kept as long as the state, so that a
-- channel's wrapper stays valid where its copy was cast to a pointer (lj-async's fork does so with mutexes).
local anchored = {}

--- The function (or loaded chunk) and the values of a payload, made in this state.
function copy.unpack(payload)
  local read = raw_load(payload, "=ljasync.copy", "t")
  setfenv(read, {})
  local graph = read()
  local nodes, root, n, args = graph[1], graph[2], graph[3], graph[4]
  local made = {}
  for i = 1, #nodes do
    local node = nodes[i]
    local kind = node[1]
    local v
    if kind == "table" then
      v = {}
    elseif kind == "function" then
      v = raw_load(node[2], "=?", "b")
    elseif kind == "chunk" then
      local problem
      v, problem = load(node[2], node[3])
      if v == nil then
        error(problem, 0)
      end
    elseif kind == "module" then
      v = module_named(node[2], node[3])
    elseif kind == "field" then
      v = rawget(module_named(node[2], node[4]), node[3])
      if v == nil then
        error(node[4] .. " is " .. node[2] .. "." .. node[3] .. ", which this state does not have", 0)
      end
    elseif kind == "shared" then
      v = sync_module().wrap(node[2])
      anchored[#anchored + 1] = v
    elseif kind == "pointer" then
      local ok, typed = false, nil
      if node[3] then
        ok, typed = pcall(require("ljasync.ctype"), node[3])
      end
      v = cast(ok and typed or void_p, node[2])
    end
    made[i] = v
  end
  local function value(s)
    if type(s) == "table" then
      return made[s[1]]
    end
    return s
  end
  for i = 1, #nodes do
    local node, v = nodes[i], made[i]
    if node[1] == "table" then
      local keys, values = node[2], node[3]
      for j = 1, #keys do
        v[value(keys[j])] = value(values[j])
      end
      if node.meta ~= nil then
        setmetatable_raw(v, value(node.meta))
      end
    elseif node[1] == "function" then
      for j, s in next, node[3] do
        setupvalue(v, j, value(s))
      end
      for j, first in next, node[4] do
        upvaluejoin(v, j, made[first[1]], first[2])
      end
      if node.env ~= nil then
        setfenv(v, value(node.env))
      end
    end
  end
  local values = {}
  for i = 1, n do
    values[i] = value(args[i])
  end
  return value(root), unpack(values, 1, n)
end

return copy
