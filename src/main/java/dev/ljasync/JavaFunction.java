package dev.ljasync;

/**
 * A Java function that Lua code can call, registered with {@link LuaState#register(String, JavaFunction)}.
 *
 * <p>Arguments arrive converted by the library's one rule (see "Values" in the README: nil as null, numbers as
 * {@link Long} or {@link Double}, strings as {@link String} or {@code byte[]}, tables copied as {@link LuaTable}s,
 * functions and coroutines as {@link LuaValue} references that stay usable after the call). The return value
 * converts back the same way; an {@code Object[]} (exactly: a {@code String[]} is one value, a table) is several
 * results ({@code return a, b}), an empty one none, and
 * {@link #yield} yields the calling coroutine. Whatever it throws becomes a Lua error carrying the exception's class
 * and message, which Lua code may catch with {@code pcall}.
 */
@FunctionalInterface
public interface JavaFunction {

    /**
     * Runs the function.
     *
     * @param args the Lua arguments, converted, one element per argument
     * @return the result; an {@code Object[]} (of that class exactly) for several results, an empty one for none
     * @throws Exception any exception, raised in Lua as an error that carries its class and message
     */
    Object call(Object[] args) throws Exception;

    /**
     * What a Java function returns to yield the coroutine that called it, as {@code coroutine.yield(values...)}
     * would: the resumer receives {@code values}, and what it passes to the next resume becomes the Java function's
     * results in Lua. The yield happens in Lua after the Java function has returned, so no C frame is crossed.
     * Called from outside a coroutine, it is the Lua error "attempt to yield from outside a coroutine".
     *
     * @param values the values to yield
     * @return the marker to return from {@link #call}
     */
    static Object yield(Object... values) {
        return new JavaFunctions.Yield(values.clone());
    }
}
