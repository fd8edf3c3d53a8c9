-- A package's module, found as pkg/init.lua: it requires its submodule, found as pkg/sub.lua
return {kind = "init", sub = require("pkg.sub")}
