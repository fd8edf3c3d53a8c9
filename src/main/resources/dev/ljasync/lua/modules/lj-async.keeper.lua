-- lj-async.keeper: lj-async's fork's keeper, which is ljasync.sync's: MakeKeeper() makes one; K:send(key, value)
-- queues a value under a key (a string, number or boolean); K:receive(key1, key2, ...) returns the first key that
-- has a value and that value, taken from its queue, or nil at once when none has; K:receive_timeout(timeout, key1,
-- ...) waits up to timeout seconds (nil: as long as it takes) for one; K:clear(key) drops a key's values. Values
-- cross as a channel's do. A keeper copied into another state (an init arg, an upvalue) is the same keeper there.
local sync = require("ljasync.sync")
local kind, error, type = sync.kind, error, type

local keeper = {}

keeper.MakeKeeper = sync.keeper

--- The keeper itself: the fork cast the pointer it got to its keeper type; here the keeper arrives as itself.
function keeper.KeeperCast(k)
  if kind(k) ~= "keeper" then
    error("lj-async.keeper: KeeperCast takes a keeper, not a " .. (kind(k) or type(k)), 2)
  end
  return k
end

return keeper
