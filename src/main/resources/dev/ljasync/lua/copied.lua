-- The function of a callback or thread that was copied from another state (see ljasync.copy), and the values copied
-- with it, made in this state; when `bound`, a function that calls it with those values first. Run in the library's
-- environment.
local payload, bound = ...
local select, unpack = select, unpack

local function bind(f, ...)
  local n, values = select("#", ...), {...}
  return function(...)
    local all = {unpack(values, 1, n)}
    local m = select("#", ...)
    for i = 1, m do
      all[n + i] = (select(i, ...))
    end
    return f(unpack(all, 1, n + m))
  end
end

if bound then
  return bind(require("ljasync.copy").unpack(payload))
end
return require("ljasync.copy").unpack(payload)
