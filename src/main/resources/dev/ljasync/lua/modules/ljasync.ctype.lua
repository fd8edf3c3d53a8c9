-- ljasync.ctype: the FFI type of a C type string, for the library's own code (callback.lua, lj-async.callback).
-- The FFI knows no struct or union tag until it is declared: the tags the type names are declared first,
-- incomplete (Lua code may complete them with ffi.cdef to read their fields).
local ffi = require("ffi")
local ipairs, gmatch = ipairs, string.gmatch

return function(ctype)
  for _, kind in ipairs({"struct", "union"}) do
    for tag in gmatch(ctype, "%f[%w_]" .. kind .. "%s+([%a_][%w_]*)") do
      ffi.cdef(kind .. " " .. tag .. ";")
    end
  end
  return ffi.typeof(ctype)
end
