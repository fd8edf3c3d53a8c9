package dev.ljasync;

/** What the synchronizers ({@link Channel}, {@link Mutex}, {@link Semaphore}) are in Lua when passed as values. */
final class Synchronizers {

    private Synchronizers() {}

    /**
     * The Lua stand-in of a synchronizer passed as an argument (an init arg, a {@link LuaState#run} argument, a Java
     * function's result): its handle, a number that {@code require("ljasync.sync").wrap} turns back into the
     * object. Anything else is returned as it is.
     */
    static Object luaValue(Object value) {
        return switch (value) {
            case Channel channel -> channel.handle();
            case Mutex mutex -> mutex.handle();
            case Semaphore semaphore -> semaphore.handle();
            default -> value;
        };
    }
}
