package dev.ljasync;

/**
 * A Java function that Lua code can call, registered with {@link LuaState#register(String, JavaFunction)}.
 *
 * <p>Arguments arrive converted as {@link LuaState} describes (nil as null, booleans, numbers as {@link Long} or
 * {@link Double}, strings as {@link String} or {@code byte[]}, light userdata as
 * {@link java.lang.foreign.MemorySegment}). The return value converts back the same way; an {@code Object[]} is
 * several results ({@code return a, b}), an empty one none. Whatever it throws becomes a Lua error carrying the
 * exception's class and message, which Lua code may catch with {@code pcall}.
 */
@FunctionalInterface
public interface JavaFunction {

    /**
     * Runs the function.
     *
     * @param args the Lua arguments, converted, one element per argument
     * @return the result; an {@code Object[]} for several results, an empty one for none
     * @throws Exception any exception, raised in Lua as an error that carries its class and message
     */
    Object call(Object[] args) throws Exception;
}
