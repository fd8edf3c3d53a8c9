/**
 * lj-async for Java: LuaJIT driven through the Foreign Function and Memory API.
 * Only {@code dev.ljasync} and {@code dev.ljasync.script} (the {@code javax.script} engine) are exported; the
 * jextract bindings and the code that wraps them stay inside.
 */
module dev.ljasync {
    requires java.scripting;
    requires jdk.jfr;

    exports dev.ljasync;
    exports dev.ljasync.script;

    provides javax.script.ScriptEngineFactory with dev.ljasync.script.LuaScriptEngineFactory;
}
