-- lj-async.mutex: lj-async's fork's mutex type, which is ljasync.sync's mutex: Mutex() makes one; m:lock([timeout])
-- (seconds; nil waits as long as it takes) returns true, or false after the timeout; m:unlock(); m:destroy() lets
-- it go at once. It is shared: a mutex copied into a callback's or thread's state (an init arg, an upvalue) is the
-- same mutex there, and so is ffi.cast(ffi.typeof("$*", Mutex), m) of it, as the fork's code writes.
return require("ljasync.sync")._private.mutex_t
