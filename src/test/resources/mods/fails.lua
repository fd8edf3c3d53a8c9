-- A module that compiles but fails when it runs, at line 3
local M = {}
error("no luck here")
return M
