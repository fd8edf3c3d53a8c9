/**
 * lj-async for Java: LuaJIT driven through the Foreign Function and Memory API.
 * Only {@code dev.ljasync} is exported; the jextract bindings and the code that wraps them stay inside.
 */
module dev.ljasync {
    exports dev.ljasync;
}
