-- A module that does not compile: line 3 has a syntax error
local M = {}
M.x = = 1
return M
