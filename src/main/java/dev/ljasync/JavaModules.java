package dev.ljasync;

import dev.ljasync.internal.lua.Failures;
import dev.ljasync.internal.values.JavaValues;
import dev.ljasync.internal.lua.LibraryChunks;

import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

import static dev.ljasync.internal.lua.LuaNative.*;

/**
 * The modules that a {@link LuaState.Builder} gives from Java ({@code module}, {@code modules}), and their setup in
 * a new state: java_modules.lua puts their searchers into {@code package.loaders}, and the functions of the modules
 * and the finders of source text run through the state's {@link JavaFunctions} (its one upcall stub). The sources
 * are shared by every state opened with the same options, so they may be called on several threads at once.
 */
final class JavaModules {

    /** One place require may look in, as given to the builder. */
    sealed interface Source permits Functions, Resources, Loader {}

    /** A module of Java functions: require gives a table of them. */
    record Functions(String name, Map<String, JavaFunction> functions) implements Source {

        Functions {
            if (name == null || name.isEmpty()) {
                throw new IllegalArgumentException("a Java module needs a name, not " + (name == null ? "null" : "\"\""));
            }
            Objects.requireNonNull(functions, "functions");
            functions.forEach((key, function) -> {
                if (key == null || function == null) {
                    throw new IllegalArgumentException("Java module '" + name + "' has a null "
                            + (key == null ? "function name" : "function for '" + key + "'"));
                }
            });
            functions = Collections.unmodifiableMap(new LinkedHashMap<>(functions));
        }
    }

    /** Lua source text among a class loader's resources: name "a.b" is {@code folder/a/b.lua} or {@code folder/a/b/init.lua}. */
    record Resources(ClassLoader loader, String folder) implements Source {

        Resources {
            Objects.requireNonNull(loader, "loader");
            Objects.requireNonNull(folder, "folder");
            folder = strip(folder);
        }

        private static String strip(String folder) {
            int start = 0, end = folder.length();
            while (start < end && folder.charAt(start) == '/') {
                start++;
            }
            while (end > start && folder.charAt(end - 1) == '/') {
                end--;
            }
            return folder.substring(start, end);
        }

        private Object[] find(Object[] args) {
            String name = args.length > 0 && args[0] instanceof String s ? s : null;
            if (name == null || name.isEmpty() || name.startsWith(".") || name.endsWith(".") || name.contains("..")
                    || name.indexOf('/') >= 0 || name.indexOf('\\') >= 0) {
                // a name that would leave the folder, or name no file
                return new Object[] {null, "\n\tno resource for '" + name + "' in '" + folder + "' (a module name"
                        + " is parts without '/' or '\\' joined by single dots)"};
            }
            String base = (folder.isEmpty() ? "" : folder + "/") + name.replace('.', '/');
            String[] paths = {base + ".lua", base + "/init.lua"};
            for (String path : paths) {
                String place = "resource '" + path + "'";
                try (InputStream in = loader.getResourceAsStream(path)) {
                    if (in != null) {
                        return new Object[] {in.readAllBytes(), "@" + path, place};
                    }
                } catch (Throwable t) {
                    return new Object[] {false, Failures.describe(t), place};
                }
            }
            return new Object[] {null, "\n\tno resource '" + paths[0] + "'\n\tno resource '" + paths[1] + "'"};
        }
    }

    /** Lua source text from a function of the application: the module's name to its text, or null. */
    record Loader(Function<String, String> loader) implements Source {

        private static final String PLACE = "Java loader";
        // A String is text, whatever the builder allows: bytecode in one would not keep its bytes (UTF-8)
        private static final String BINARY = "a binary chunk: a Java loader gives Lua source text (bytecode can be"
                + " a resource, with LuaState.Builder.bytecode(true))";

        Loader {
            Objects.requireNonNull(loader, "loader");
        }

        private Object[] find(Object[] args) {
            if (!(args.length > 0 && args[0] instanceof String name)) {
                return new Object[] {null, "\n\tno source from Java loader for a name that is not UTF-8"};
            }
            String text;
            try {
                text = loader.apply(name);
                if (text == null) {
                    return new Object[] {null, "\n\tno source from Java loader for '" + name + "'"};
                }
                if (!text.isEmpty() && text.charAt(0) == '\033') {
                    return new Object[] {false, BINARY, PLACE};
                }
                return new Object[] {JavaValues.source(text), "=" + name, PLACE, "t"};
            } catch (Throwable t) { // whatever the application's code throws is require's error, named
                return new Object[] {false, Failures.describe(t), PLACE};
            }
        }
    }

    private JavaModules() {}

    /**
     * Runs java_modules.lua in a new state with the searchers of {@code sources}: consecutive modules of Java
     * functions share one searcher, and each other source has its own.
     */
    static void install(LuaState owner, CallPath calls, JavaFunctions functions, List<Source> sources) {
        if (sources.isEmpty()) {
            return;
        }
        calls.execute(owner, "the Java modules", L -> {
            int status = calls.load(L, LibraryChunks.JAVA_MODULES);
            if (status != LUA_OK) {
                throw calls.failure(L, status, "loading the library's Lua code");
            }
            functions.pushRegister(L);
            int pushed = 1;
            for (int i = 0; i < sources.size(); ) {
                if (sources.get(i) instanceof Functions) {
                    int end = i;
                    while (end < sources.size() && sources.get(end) instanceof Functions) {
                        end++;
                    }
                    room(L, 2);
                    calls.values.push(L, "functions");
                    lua_pushinteger(L, end - i);
                    pushed += 2;
                    for (; i < end; i++) {
                        Functions module = (Functions) sources.get(i);
                        room(L, 2);
                        calls.values.push(L, module.name());
                        lua_pushinteger(L, module.functions().size());
                        pushed += 2;
                        for (Map.Entry<String, JavaFunction> entry : module.functions().entrySet()) {
                            room(L, 5);
                            calls.values.push(L, entry.getKey());
                            pushed += 1 + functions.pushClosure(L, module.name() + "." + entry.getKey(),
                                    entry.getValue());
                        }
                    }
                } else {
                    Source source = sources.get(i++);
                    JavaFunction find = source instanceof Resources r ? r::find : ((Loader) source)::find;
                    room(L, 5);
                    calls.values.push(L, "source");
                    pushed += 1 + functions.pushClosure(L, "require", find);
                }
            }
            return pushed;
        });
    }

    private static void room(MemorySegment L, int slots) {
        if (!lua_checkstack(L, slots)) {
            throw new IllegalArgumentException("too many Java module functions: a builder's modules hold at most"
                    + " about 1,990 functions in all (they reach each new state through Lua's stack of 8,000"
                    + " slots); register the rest with LuaState.register, or give fewer");
        }
    }
}
