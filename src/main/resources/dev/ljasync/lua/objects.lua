-- The Lua side of Java objects (JavaObjects), loaded in a state the first time it pushes a Java object or opens the
-- global `java`, in the environment of the library's own chunks (the globals as they were before any user code).
-- Java passes state.lua's `finish`, which raises a Java function's failure after it has returned. Returns the table
-- Java keeps: {object_mt, java, library, method, get_member, construct}.
local finish = ...
local tostring, type, error, rawget, select, unpack, newproxy, getmetatable, setmetatable = tostring, type, error,
  rawget, select, unpack, newproxy, getmetatable, setmetatable
local getmetatable_raw = debug.getmetatable

-- A Java object in Lua is a full userdata holding its number in Java's table of objects. Java makes one metatable per
-- exposed class, with the fields of `object_mt` below and [CLASS] = the class's number in Java, [NAME] = its name,
-- [RAW] = a table of its methods' C closures by name (Java functions of the state), [STATIC] = true for a class's
-- static members (java.import); its __metatable, what getmetatable gives Lua code, is a name unique to it, and its
-- __index the table of the methods that Lua code has used ([METHODS] too), so that `obj:name(...)` finds one without
-- a call. A missing one is made by `method`, the __index of that table (whose metatable holds the object's metatable
-- at [1]). A method checks that it was called on an object of its own metatable (the raw one: a table or userdata
-- whose __metatable field mimics it is refused too), so no method reaches an object that was exposed with another
-- class or none. In a state with Java classes, a class with fields has [GETTERS] and [SETTERS], Java functions by
-- field name, and an array's class has [ARRAY] = {get, set, length}; where fields are read live or elements indexed,
-- __index is `get_member` instead of the methods table. `java` holds the Java functions the metamethods and the
-- global `java` call (describe, same, import, ...), set by Java before the first object is pushed.
local CLASS, NAME, RAW, STATIC, METHODS, GETTERS, SETTERS, ARRAY = 1, 2, 3, 4, 5, 6, 7, 8
local java = {}

local function method(methods, key, level)
  local mt = getmetatable_raw(methods)[1]
  local raw = mt[RAW][key]
  if raw == nil then
    error("no method '" .. tostring(key) .. "' on " .. mt[NAME], level or 2)
  end
  local m
  if mt[STATIC] then
    m = function(...)
      return finish(raw(...))
    end
  else
    m = function(self, ...)
      if getmetatable_raw(self) ~= mt then
        error("bad self for method '" .. key .. "' of " .. mt[NAME] .. ": call it as obj:" .. key .. "(...)", 2)
      end
      return finish(raw(self, ...))
    end
  end
  methods[key] = m
  return m
end

-- Methods win over fields of the same name: Java leaves such a field out of [GETTERS] and [SETTERS].
local function get_member(self, key)
  local mt = getmetatable_raw(self)
  local array = mt[ARRAY]
  if array and type(key) == "number" then
    return finish(array[1](self, key))
  end
  local get = mt[GETTERS][key]
  if get then
    return finish(get(self))
  end
  local methods = mt[METHODS]
  local m = rawget(methods, key)
  if m == nil then
    m = method(methods, key, 3)
  end
  return m
end

local object_mt = {
  __newindex = function(self, key, value)
    local mt = getmetatable_raw(self)
    local array, setters = mt[ARRAY], mt[SETTERS]
    if array and type(key) == "number" then
      return finish(array[2](self, key, value))
    end
    local set = setters and setters[key]
    if set then
      return finish(set(self, value))
    end
    error("cannot set '" .. tostring(key) .. "' on a Java object (" .. mt[NAME] .. ")", 2)
  end,
  __len = function(self)
    local mt = getmetatable_raw(self)
    if mt[ARRAY] then
      return finish(mt[ARRAY][3](self))
    end
    error("attempt to get the length of a Java object (" .. mt[NAME] .. ")", 2)
  end,
  __tostring = function(self)
    return finish(java.describe(getmetatable_raw(self)[CLASS], self))
  end,
  __eq = function(a, b)
    return finish(java.same(a, b))
  end,
}

-- java.method's function: calls the one overload that Java bound (with its object, for an instance method).
local function bound(ok, ...)
  if ok ~= true then
    return finish(ok, ...)
  end
  local target = ...
  return function(...)
    return finish(java.invoke(target, ...))
  end
end

-- cls(...), java.new(cls, ...): cls.new(...), the class's constructors. Tail-called, so errors name the caller's line.
local function construct(class, ...)
  local mt = getmetatable_raw(class)
  if mt[RAW].new == nil then
    error(mt[NAME] .. " has no public constructor", 2)
  end
  return class.new(...)
end

-- java.import("pkg.*"): a table that imports the package's classes as they are first named (pkg.Name).
local function package(prefix)
  local mt = {__metatable = "java package " .. prefix}
  mt.__index = function(classes, name)
    if type(name) ~= "string" then
      error("bad argument #1 to 'java.import' (a class name of package " .. prefix .. " expected, got "
        .. type(name) .. ")", 2)
    end
    local ok, class, level = java.import(prefix .. "." .. name)
    if ok ~= true then
      error(class, level == 0 and 0 or 2)
    end
    classes[name] = class
    return class
  end
  return setmetatable({}, mt)
end

-- The global `java` of a state with Java classes. A table implementing interfaces would reach Java as a copy, as
-- any table argument does: it goes in a userdata that indexes to it ([1]), which reaches Java as a reference.
local library = {
  import = function(name)
    if type(name) == "string" and name:sub(-2) == ".*" and #name > 2 then
      return package(name:sub(1, -3))
    end
    return finish(java.import(name))
  end,
  new = function(class, ...)
    local ok, statics, level = java.new(class)
    if ok ~= true then
      error(statics, level == 0 and 0 or 2)
    end
    return construct(statics, ...)
  end,
  proxy = function(...)
    local n, args = select("#", ...), {...}
    local implementation, boxed = args[n], false
    if type(implementation) == "table" then
      local box = newproxy(true)
      getmetatable(box).__index = {implementation}
      implementation, boxed = box, true
    end
    return finish(java.proxy(boxed, implementation, unpack(args, 1, n - 1)))
  end,
  array = function(...)
    return finish(java.array(...))
  end,
  method = function(...)
    return bound(java.method(...))
  end,
  luaify = function(value)
    return finish(java.luaify(value))
  end,
}

-- What Java keeps: the fields of every metatable, the table of Java functions, the global `java`, the __index of the
-- methods tables, the __index of objects with fields or elements, and the __call of classes.
local objects = {object_mt, java, library, method, get_member, construct}

return objects
