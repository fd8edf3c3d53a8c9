package dev.ljasync;

import dev.ljasync.internal.lua.Interruption;
import dev.ljasync.internal.lua.LibraryChunks;
import dev.ljasync.internal.values.JavaValues;
import dev.ljasync.internal.lua.LuaNative;
import dev.ljasync.internal.lua.MemoryLimit;
import dev.ljasync.internal.lua.StateLifetime;
import dev.ljasync.internal.lua.StateLock;

import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.lang.ref.Reference;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Function;

import static dev.ljasync.internal.lua.LuaNative.*;

/**
 * One LuaJIT {@code lua_State}, owned from Java: thread-safe (calls from several threads are serialized by a lock),
 * closed exactly once.
 *
 * <pre>{@code
 * try (LuaState lua = LuaState.open()) {
 *     lua.register("greet", args -> "hello, " + args[0]);
 *     Object[] r = lua.run("local n = ... ; return greet('lua'), n * 2", "example", 21);
 *     // r = {"hello, lua", 42L}
 * }
 * }</pre>
 *
 * <h2>Values</h2>
 * Arguments and results convert by the library's one rule, the same for every method and every crossing (the
 * README's "Values" has the whole table). To Lua: null is nil, Boolean a boolean, a number a number (a Long beyond
 * 2^53, which a double would round, an {@code int64_t} cdata), String its UTF-8 bytes and byte[] its bytes, a
 * {@code Map}, {@code List} or array a new table, a native MemorySegment a light userdata, a {@link LuaValue} the
 * value it refers to, a {@link Channel}, {@link Mutex} or {@link Semaphore} its handle. To Java: nil is null, a
 * boolean a Boolean, a number a {@link Long} when integral (else a {@link Double}), a string a {@link String} when
 * it is valid UTF-8 (else a {@code byte[]}), an {@code int64_t} cdata a Long, a table a copy ({@link LuaTable}), a
 * light userdata a zero-length MemorySegment, and a function, coroutine, full userdata or other cdata a
 * {@link LuaValue} reference. {@link #reference(String)} gives a live reference to a table instead of a copy. Any
 * other Java object is a Java object in Lua (below).
 *
 * <h2>Java objects</h2>
 * An object of no type above (or any object, wrapped as a {@link JavaObject}) is a full userdata in Lua that comes
 * back to Java as the same object. Lua code can pass it around, compare it ({@code ==} is true for the same object,
 * by identity) and show it ({@code tostring}); an object passed as {@link JavaObject#of(Object, Class)} also has the
 * public methods of the exposed type, called as {@code obj:name(args)}. Nothing else: its metatable is hidden
 * ({@code getmetatable} gives the exposed type's name, {@code setmetatable} refuses it), a missing method, {@code #obj}
 * or {@code obj.x = v} is a Lua error naming the class, and a method called on anything but an object exposed with
 * its type ({@code obj.name(other)}) is refused. The userdata holds only a number; the object is held until the
 * userdata is collected, and calls run on the thread holding the state.
 *
 * <p>A method's overload is chosen by the number of arguments, then by how closely the arguments fit its
 * parameters, each converted by the rule above first: a number fits {@code long}, {@code int}, {@code short},
 * {@code byte}, {@code double}, {@code float} (or their boxes) only when its value fits exactly, a whole number
 * fitting them best in that order; a string fits {@code String}, then {@code CharSequence}, then {@code byte[]} (its
 * UTF-8 bytes), and {@code char} when it has one character; a boolean fits {@code boolean}; nil fits any reference
 * type; a sequence table fits a {@code List} or an array whose elements all fit, and a Lua function or table an
 * interface (as a {@link LuaValue#proxy proxy}); and any value fits a reference type it is an instance of
 * ({@code Object}, {@code Number}, a Java object's class), loosest of all. Ties go to the first overload in a fixed
 * order (by the parameter types' names); a varargs method takes its trailing arguments one by one, or an array. The result converts back by the rule above (a {@code char} as a one-character
 * string, void as no result). An exception the method throws is a Lua error naming the class, method and exception,
 * as a Java function's is ({@code "Java function 'java.util.List.get' threw java.lang.IndexOutOfBoundsException:
 * ..."}), with the exception as the {@link LuaException}'s cause. Methods are bound once per class through
 * {@link java.lang.invoke.MethodHandles#publicLookup()} and run as Java functions of the state. Lua code reaches no
 * other Java class, method or field unless the state was built with {@link Builder#javaClasses(boolean)} (which
 * also gives Lua luajava's {@code java.proxy}, {@code java.array}, {@code java.method} and {@code java.luaify}).
 *
 * <h2>Errors</h2>
 * Every Lua error, whatever was raised, becomes a {@link LuaException} with the message, chunk name, line and
 * traceback; the state stays usable. Lua errors never unwind through Java frames and never reach LuaJIT's panic
 * handler: Lua code runs only inside {@code lua_pcall}, the library's own allocations outside it are made with the
 * collector paused (so no {@code __gc} finalizer can raise there), and a Java function reports its failure by
 * returning, after which Lua code raises the error.
 *
 * <h2>Sandbox</h2>
 * Whatever its libraries, a state loads no bytecode through Lua's own loaders, no native code through
 * {@code package}, and turns {@code os.exit} into a {@link LuaException.Kind#EXIT} error, unless its
 * {@link Builder} allows each; untrusted code also gets only the libraries it needs ({@link Builder#libraries}),
 * without {@link Library#IO}, {@link Library#OS}, {@link Library#FFI} and {@link Library#DEBUG}.
 *
 * <h2>Modules</h2>
 * {@code require} finds modules that Java gives through the {@link Builder}: tables of Java functions
 * ({@link Builder#module}), Lua source among a class loader's resources ({@link Builder#modules(ClassLoader,
 * String)}) or from a function of the application ({@link Builder#modules(java.util.function.Function)}), searched
 * in the order given, after {@code package.preload} and before Lua's files. They need {@link Library#PACKAGE}.
 *
 * <h2>Output</h2>
 * Lua code's {@code print}, {@code io.write} and {@code io.stdout} write to the state's output, and
 * {@code io.stderr} to its error output: Java sinks, never the process's C stdout and stderr. They are
 * {@code System.out} and {@code System.err} as they are when written to (so {@link System#setOut} takes effect at
 * once), or what {@link Builder#output(PrintStream)}, {@link Builder#output(Consumer)} and their
 * {@code errorOutput} twins chose; a callback's states and a thread's have the sinks of their
 * {@code stateOptions}. A {@link PrintStream} gets the bytes as Lua code wrote them (Lua strings are bytes: they are
 * not decoded), each {@code print} or {@code write} in one {@code write(byte[], int, int)}, so the lines of Lua code
 * printing on several threads at once are never mixed; a {@code Consumer<String>} gets whole lines. {@code print}
 * converts its arguments with the global {@code tostring} of the moment, as LuaJIT's does. With the io library,
 * {@code io.stdout} and {@code io.stderr} are stand-ins that {@code io.type} calls {@code "file"}: {@code write},
 * {@code flush}, {@code setvbuf} (checked, then without effect: nothing is buffered on the way) and {@code close}
 * (refused, as for a standard file) work, {@code read}, {@code lines} and {@code seek} raise an error.
 * {@code io.output()} is {@code io.stdout} until {@code io.output(file or name)} sends {@code io.write} to a real
 * file. A sink that throws makes a Lua error that names it (uncaught, a {@link LuaException.Kind#JAVA} error with
 * the exception as its cause). A {@code __gc} finalizer that prints while {@link #close()} runs reaches the sink;
 * one in a state that the garbage collector closes fails, as the Java functions it calls do.
 *
 * <h2>Interruption</h2>
 * A state opened with {@link Builder#interruptible(boolean) interruptible(true)} can be stopped: {@link #interrupt()}
 * from another thread, or its {@link Builder#timeLimit(Duration) time limit}, ends the running call with a
 * {@link LuaException.Kind#CANCELLED} error within milliseconds, wherever its Lua code is, and {@link #close()} ends
 * in bounded time. Such a state runs with LuaJIT's JIT compiler off (LuaJIT runs no hook inside compiled code),
 * under a count hook that looks at a flag every 10,000 VM instructions: Lua code runs at the speed of LuaJIT's
 * interpreter (a numeric loop ran 4.5 times slower than compiled here), and each call from Java costs about 0.1 us
 * more (it registers the thread that runs it). Lua code cannot undo it: {@code jit.on},
 * {@code debug.sethook} and {@code debug.getregistry} are refused, and {@code pcall}, {@code xpcall} and
 * {@code coroutine.resume} raise the interruption again when they catch it. Code that has the FFI can reach
 * LuaJIT's C API and is not held by any of this: give untrusted code a state without {@link Library#FFI}.
 *
 * <h2>Lifetime</h2>
 * A state holds native memory until {@link #close()}. One that is dropped without {@code close()} is closed by the
 * garbage collector once nothing reaches it (no reference, no call in flight, no {@link #function} handle): then its
 * {@code __gc} finalizers run on a cleaner thread, and the Java functions they call fail. Close states explicitly:
 * the collector does not see the native memory a state holds, so dropped states may pile up before it runs, and
 * explicit closing runs the finalizers on a thread of your choice. Keep a state reachable while native code holds
 * pointers into it, such as FFI callbacks made by its Lua code ({@code ffi.cast} of a Lua function).
 */
public final class LuaState implements AutoCloseable {

    /** The standard libraries of LuaJIT that a state may open. {@link #BASE} is always opened. */
    public enum Library {
        /** The base functions ({@code print}, {@code pcall}, {@code tostring}, ...); always opened. */
        BASE(""),
        /**
         * {@code require} and {@code package}. Lua modules only: loading native code ({@code package.loadlib}, the C
         * searchers of {@code require}) is a choice of its own, {@link Builder#nativeModules(boolean)}.
         */
        PACKAGE("package"),
        /** {@code table}. */
        TABLE("table"),
        /**
         * {@code io}: files and processes; its {@code io.stdout} and {@code io.stderr} write to the state's output
         * (see "Output" in the class documentation).
         */
        IO("io"),
        /**
         * {@code os}: time, environment, files, processes ({@code os.execute}). {@code os.exit} raises a
         * {@link LuaException.Kind#EXIT} error instead of ending the process, unless
         * {@link Builder#processExit(boolean)} allows it.
         */
        OS("os"),
        /**
         * {@code string}, and the methods of string values. Its module {@code string.buffer} comes with
         * {@link #FFI} only: it hands out FFI pointers, and opens the FFI when it does.
         */
        STRING("string"),
        /** {@code math}. */
        MATH("math"),
        /**
         * {@code debug}. Errors carry a traceback without it too. It reaches everything in the state (the registry,
         * upvalues, the library's own functions and the libraries it opened for itself), so it undoes every sandbox:
         * open it for trusted code only.
         */
        DEBUG("debug"),
        /** LuaJIT's {@code bit} operations. */
        BIT("bit"),
        /** LuaJIT's {@code jit} control ({@code jit.on}, {@code jit.off}, {@code jit.version}). */
        JIT("jit"),
        /** LuaJIT's FFI, reached with {@code require("ffi")} as in LuaJIT, so it needs {@link #PACKAGE}. */
        FFI("ffi");

        final String luaName; // as luaopen_* and require name it

        Library(String luaName) {
            this.luaName = luaName;
        }
    }

    private static final String INTERRUPTED = "ljasync: the call was interrupted";
    private static final java.util.concurrent.atomic.AtomicLong IDS = new java.util.concurrent.atomic.AtomicLong();

    /** What this state was opened with; the states that lj-async's Lua API makes from it are opened the same. */
    final Options options;

    // Scratch memory for values, freed with this object. The lua_State and the upcall stubs (Java functions, the
    // allocator) are freed by close, or once this object is unreachable, by the lifetime.
    private final Arena memory = Arena.ofAuto();
    private final StateLifetime lifetime = new StateLifetime();
    // The state's lock, reentrant (a Java function may call back in), and its closed flags
    private final StateLock lock;
    private final Interruption interruption; // null unless interruptible
    // The one call path into Lua, which holds the Lua thread calls run on and the nesting
    private final CallPath calls;
    // the Java functions registered here, and the upcall stub that runs them
    private final JavaFunctions javaFunctions;
    private final int callRef, lookupRef, assignRef, registerRef;
    // the function(...) handles: a binding per signature, made once
    private final TypedCalls typedCalls;
    private final TypedJavaFunctions typedJavaFunctions;
    // references to Lua values (LuaValue) and the conversions that need Lua code
    private final LuaValues references;

    /**
     * Opens a state with all of LuaJIT's standard libraries, as {@code luaL_openlibs} does.
     *
     * @return the new state, open until {@link #close()}
     */
    public static LuaState open() {
        return builder().open();
    }

    /**
     * Opens a state with the base library and the ones given.
     *
     * @param libraries the libraries to open besides {@link Library#BASE}
     * @return the new state, open until {@link #close()}
     */
    public static LuaState open(Library... libraries) {
        return builder().libraries(libraries).open();
    }

    /**
     * A builder for a state with chosen libraries, a memory limit, or loaders of bytecode or native code.
     *
     * @return a new builder, set to what {@link #open()} opens
     */
    public static Builder builder() {
        return new Builder();
    }

    /** What a state is opened with: the choices of a {@link Builder}, at one moment. */
    record Options(Set<Library> libraries, long memoryLimit, boolean bytecode, boolean nativeModules,
                   boolean processExit, boolean interruptible, long timeLimitNanos,
                   List<JavaModules.Source> modules, boolean javaClasses, StateOutput.Sink output,
                   StateOutput.Sink errorOutput) {}

    /**
     * Chooses what a new {@link LuaState} has. Not thread-safe; each {@link #open()} makes a new state.
     *
     * <p>Whatever the libraries, a state holds against the Lua code it runs unless told otherwise: Lua's own
     * loaders ({@code load}, {@code loadstring}, {@code loadfile}, {@code dofile} and {@code require}) take source
     * text only, {@code package} loads no native code, and {@code os.exit} ends the Lua code, not the process. A
     * sandbox for untrusted code also leaves out {@link Library#IO}, {@link Library#OS}, {@link Library#FFI} and
     * {@link Library#DEBUG}, which reach files, processes, memory and the state's internals.
     */
    public static final class Builder {
        private Set<Library> libraries = EnumSet.allOf(Library.class);
        private long memoryLimit;
        private boolean bytecode;
        private boolean nativeModules;
        private boolean processExit;
        private boolean interruptible;
        private Duration timeLimit = Duration.ZERO;
        private final List<JavaModules.Source> modules = new ArrayList<>();
        private boolean javaClasses;
        private StateOutput.Sink output = StateOutput.Sink.STANDARD_OUTPUT;
        private StateOutput.Sink errorOutput = StateOutput.Sink.STANDARD_ERROR;

        private Builder() {}

        /**
         * Opens only these libraries, and the base library.
         *
         * @param chosen the libraries to open besides {@link Library#BASE}
         * @return this builder
         */
        public Builder libraries(Library... chosen) {
            EnumSet<Library> set = EnumSet.of(Library.BASE);
            set.addAll(Arrays.asList(chosen));
            this.libraries = set;
            return this;
        }

        /**
         * Limits the memory Lua code may allocate in this state, in bytes; past it, allocation fails with a
         * {@link LuaException.Kind#MEMORY} error. Costs an upcall per allocation. 0 (the default) means no limit.
         * After such an error the state collects the garbage the failed code left, so that it is usable again: the
         * {@code __gc} finalizers that must run before that garbage is freed may take an eighth more than the limit
         * (at least 1 MB) while they run.
         *
         * @param bytes the limit in bytes, or 0 for no limit
         * @return this builder
         * @throws IllegalArgumentException when {@code bytes} is negative
         */
        public Builder memoryLimit(long bytes) {
            if (bytes < 0) {
                throw new IllegalArgumentException("memory limit must be 0 (none) or positive, not " + bytes);
            }
            this.memoryLimit = bytes;
            return this;
        }

        /**
         * Makes the state interruptible: {@link LuaState#interrupt()} and {@link #timeLimit(Duration)} stop a running
         * call, and {@link LuaState#close()} ends in bounded time. Costs the JIT compiler: see "Interruption" in the
         * class documentation. Off by default.
         *
         * @param interruptible whether the state can be interrupted
         * @return this builder
         */
        public Builder interruptible(boolean interruptible) {
            this.interruptible = interruptible;
            return this;
        }

        /**
         * Lets Lua's own loaders ({@code load}, {@code loadstring}, {@code loadfile}, {@code dofile}, {@code require})
         * take LuaJIT bytecode, as they do in LuaJIT. Off by default: LuaJIT does not verify bytecode, and bytecode
         * with one operand edited reads and writes any address, so allow it only for code as trusted as the process.
         * The entry points that take text ({@link LuaState#run(String)}, {@code Callback.Builder.create(String)},
         * {@code LuaThread.start(String)}) take text whatever this says; bytecode from Java goes through their
         * {@code byte[]} overloads.
         *
         * @param allowed whether Lua's own loaders take bytecode
         * @return this builder
         */
        public Builder bytecode(boolean allowed) {
            this.bytecode = allowed;
            return this;
        }

        /**
         * Interrupts every call into the state (the outermost one: calls that Java functions make back into it count
         * as its part) that runs longer than {@code limit}; the call ends with a {@link LuaException.Kind#CANCELLED}
         * error. Makes the state {@link #interruptible(boolean) interruptible}. {@link Duration#ZERO}, the default,
         * means no limit.
         *
         * @param limit the longest an outermost call may run, or {@link Duration#ZERO} for no limit
         * @return this builder
         * @throws IllegalArgumentException when negative
         */
        public Builder timeLimit(Duration limit) {
            if (limit.isNegative()) {
                throw new IllegalArgumentException("a time limit must be positive (or zero: none), not " + limit);
            }
            this.timeLimit = limit;
            return this;
        }

        /**
         * Lets {@code package.loadlib} and the C searchers of {@code require} load native code (shared objects with
         * {@code luaopen_*} functions). Off by default, even with {@link Library#PACKAGE}: native code can do
         * anything, and LuaJIT's own shared object alone gives the FFI, io, os and debug to a state opened without
         * them.
         *
         * @param allowed whether Lua code may load native code
         * @return this builder
         */
        public Builder nativeModules(boolean allowed) {
            this.nativeModules = allowed;
            return this;
        }

        /**
         * Lets {@code os.exit} end the process, as it does in LuaJIT: C's {@code exit} at once, without the JVM's
         * shutdown hooks. Off by default: {@code os.exit(code)} raises a {@link LuaException.Kind#EXIT} error that
         * carries the code ({@link LuaException#exitCode()}) and that {@code pcall}, {@code xpcall} and
         * {@code coroutine.resume} in Lua pass on rather than catch.
         *
         * @param allowed whether {@code os.exit} ends the process
         * @return this builder
         */
        public Builder processExit(boolean allowed) {
            this.processExit = allowed;
            return this;
        }

        /**
         * Gives {@code require} a module of Java functions: {@code require(name)} returns a table that holds each
         * function under its key, the same table in every require of the state (as {@code package.loaded} keeps
         * it). The functions run as {@link LuaState#register registered} ones do, through the state's one upcall
         * stub; they are shared by every state opened from this builder (each state of a callback or thread given
         * it by {@code stateOptions}), so they may run on several threads at once. See {@link #modules(ClassLoader,
         * String)} for the order require searches in; needs {@link Library#PACKAGE}. The modules of a builder hold
         * at most about 1,990 functions in all: more make {@link #open()} fail with an
         * {@link IllegalArgumentException}.
         *
         * @param name      the module's name, as {@code require} takes it ({@code "app.util"})
         * @param functions the module's functions by their keys in its table; copied now
         * @return this builder
         * @throws IllegalArgumentException when the name is empty or given already, or a key or function is null
         */
        public Builder module(String name, Map<String, JavaFunction> functions) {
            for (JavaModules.Source source : modules) {
                if (source instanceof JavaModules.Functions given && given.name().equals(name)) {
                    throw new IllegalArgumentException("a Java module named '" + name + "' is given already");
                }
            }
            modules.add(new JavaModules.Functions(name, functions));
            return this;
        }

        /**
         * Lets {@code require} load Lua modules from a class loader's resources, so that an application can ship
         * its Lua code in its jar: {@code require("a.b")} loads resource {@code folder/a/b.lua}, or else
         * {@code folder/a/b/init.lua}, as Lua's {@code package.path} does with files. The chunk is named
         * {@code "@folder/a/b.lua"}, so its errors read {@code "folder/a/b.lua:3: ..."}, and runs with the module's
         * name as {@code ...}; it is source text, loaded by the sandbox's rules (binary chunks are refused unless
         * {@link #bytecode(boolean)} allows them). A module name with {@code '/'}, {@code ''} or an empty part
         * names no resource.
         *
         * <p>{@code require} searches {@code package.preload} first, then the places given by {@link #module},
         * {@code modules(ClassLoader, String)} and {@link #modules(Function)} in the order they were given, then
         * Lua's files ({@code package.path}); when none has the module, its error lists every place looked at, as
         * Lua does ({@code no Java module 'x'}, {@code no resource 'folder/x.lua'}, ...). Each module is loaded once
         * per state. A resource that cannot be read is a Lua error naming the module and the exception. Needs
         * {@link Library#PACKAGE}.
         *
         * @param loader the class loader whose resources hold the modules ({@code MyApp.class.getClassLoader()})
         * @param folder the resource folder, without leading or trailing {@code '/'} needed ({@code "lua"}), or
         *               {@code ""} for the top
         * @return this builder
         * @throws NullPointerException when either is null
         */
        public Builder modules(ClassLoader loader, String folder) {
            modules.add(new JavaModules.Resources(loader, folder));
            return this;
        }

        /**
         * Lets {@code require} load Lua modules whose source text a function of the application gives: the module's
         * name to its text, or null when it has no such module. The function runs when Lua code requires a module
         * not found before it (see {@link #modules(ClassLoader, String)} for the order), on the thread that called
         * {@code require}, holding the state; it is shared by every state opened from this builder, so it may be
         * called on several threads at once. The chunk is named {@code "=name"} (its errors read
         * {@code "name:3: ..."}) and loaded by the sandbox's rules, as source text. An exception it throws is a Lua
         * error of {@code require} that names the module and the exception. Needs {@link Library#PACKAGE}.
         *
         * @param loader the module's name to its Lua source text, or to null
         * @return this builder
         * @throws NullPointerException when {@code loader} is null
         */
        public Builder modules(Function<String, String> loader) {
            modules.add(new JavaModules.Loader(loader));
            return this;
        }

        /**
         * Lets Lua code reach Java classes, as luajava does: the global {@code java} with
         * {@code java.import("java.util.ArrayList")}, which gives the class's constructors ({@code cls.new(args)},
         * {@code cls(args)}, {@code java.new(cls, args)}), static methods ({@code cls.valueOf(args)}), constants
         * (static final fields, read once) and {@code cls.class}; {@code java.import("java.util.*")}, a package
         * whose classes are imported as they are named ({@code util.ArrayList}); and every Java
         * object in the state (passed in, or returned by a method) callable with its public methods. Public fields
         * are read live and written ({@code cls.counter = 5}, {@code obj.x = 1}; the value converts by the one rule,
         * and a misfit or a final field is a Lua error naming the field); a method wins over a field of the same
         * name (luajava gives the field). Also {@code java.proxy(interface, ..., tableOrFunction)} (as
         * {@link LuaValue#proxy}, callable from any thread), {@code java.array(type, n)} and
         * {@code java.array(type, {values})} (arrays are indexed from 1 in Lua, as in luajava, with {@code #arr}
         * their length), {@code java.method(classOrObject, "name", "int,int")} (one overload) and
         * {@code java.luaify(value)} (a Map, List or array as a table). Only public classes and members of exported
         * packages ({@link java.lang.invoke.MethodHandles#publicLookup()}), bound to method handles once. Off by
         * default, and then {@code java} is nil, objects have no fields and Lua code calls only the methods of
         * objects passed as {@link JavaObject#of(Object, Class)}: with it, Lua code can do what any Java code can
         * ({@code java.lang.ProcessBuilder}), so allow it only for trusted code. The README's "Java objects" has the
         * details.
         *
         * @param allowed whether Lua code reaches Java classes
         * @return this builder
         */
        public Builder javaClasses(boolean allowed) {
            this.javaClasses = allowed;
            return this;
        }

        /**
         * Sends the state's output ({@code print}, {@code io.write}, {@code io.stdout}) to {@code stream} instead of
         * {@code System.out}: the bytes as Lua code wrote them, one {@code write(byte[], int, int)} for each
         * {@code print} or {@code write}, and {@code flush()} for {@code io.stdout:flush()} and once more when the
         * state closes, if it wrote since. A {@code PrintStream} does not throw for a failed write (it keeps the
         * error for {@link PrintStream#checkError()}); one that does throw makes a Lua error in the code that wrote.
         * See "Output" in the class documentation.
         *
         * @param stream where the output goes
         * @return this builder
         */
        public Builder output(PrintStream stream) {
            this.output = StateOutput.Sink.of(stream, false);
            return this;
        }

        /**
         * Sends the state's output ({@code print}, {@code io.write}, {@code io.stdout}) to {@code lines}, one whole
         * line at a time, without its line break ({@code "\n"} or {@code "\r\n"}), decoded as UTF-8 with
         * malformed bytes replaced by U+FFFD; a last line without a line break is handed on by
         * {@code io.stdout:flush()} and by {@link LuaState#close()} (a state that the garbage collector closes drops
         * it), after the {@code __gc} finalizers have run. {@code lines} is called on the thread that runs the
         * Lua code, with the state's lock held: when states share it (a callback's pool, states opened from one
         * builder) it may be called from several threads at once, so it must be thread-safe, and it should not wait
         * for another state. An exception it throws is a Lua error in the code that wrote (at close, where no Lua
         * code is left to tell, it is ignored). See "Output" in the class documentation.
         *
         * @param lines what takes each line
         * @return this builder
         */
        public Builder output(Consumer<String> lines) {
            this.output = StateOutput.Sink.of(lines, false);
            return this;
        }

        /**
         * Sends the state's error output ({@code io.stderr}) to {@code stream} instead of {@code System.err}; as
         * {@link #output(PrintStream)}.
         *
         * @param stream where the error output goes
         * @return this builder
         */
        public Builder errorOutput(PrintStream stream) {
            this.errorOutput = StateOutput.Sink.of(stream, true);
            return this;
        }

        /**
         * Sends the state's error output ({@code io.stderr}) to {@code lines}, one whole line at a time; as
         * {@link #output(Consumer)}.
         *
         * @param lines what takes each line
         * @return this builder
         */
        public Builder errorOutput(Consumer<String> lines) {
            this.errorOutput = StateOutput.Sink.of(lines, true);
            return this;
        }

        /**
         * These choices, for a state that another object opens (a callback's, a thread's).
         *
         * @throws IllegalArgumentException when Java modules are given without {@link Library#PACKAGE}
         */
        Options options() {
            if (!modules.isEmpty() && !libraries.contains(Library.PACKAGE)) {
                throw new IllegalArgumentException("Java modules (module, modules) are found by require, which"
                        + " comes with Library.PACKAGE: add PACKAGE to libraries(...), or give no modules");
            }
            return new Options(EnumSet.copyOf(libraries), memoryLimit, bytecode, nativeModules, processExit,
                    interruptible || !timeLimit.isZero(), Interruption.nanos(timeLimit), List.copyOf(modules),
                    javaClasses, output, errorOutput);
        }

        /**
         * Creates the state ({@code luaL_newstate}, or {@code lua_newstate} with a limit) and opens the libraries.
         *
         * @return the new state, open until {@link LuaState#close()}
         * @throws IllegalStateException    when LuaJIT cannot make the state: out of memory, or a memory limit asked
         *                                  of a LuaJIT built without GC64
         * @throws IllegalArgumentException when Java modules ({@link #module}, {@link #modules}) are given without
         *                                  {@link Library#PACKAGE}
         */
        public LuaState open() {
            return new LuaState(options(), forLibrary(libraries), null);
        }
    }

    /**
     * What the library's modules (ljasync.sync, lj-async.*) need besides the FFI, which they cannot do without: in a
     * state whose user code has the FFI, the string and table libraries, hidden from user code when it has not
     * asked for them.
     */
    static Set<Library> forLibrary(Set<Library> libraries) {
        return libraries.contains(Library.FFI) ? EnumSet.of(Library.STRING, Library.TABLE)
                : EnumSet.noneOf(Library.class);
    }

    /**
     * Opens a state for the library's own Lua code as well as the user's: {@code forLibrary} are libraries that code
     * needs (the FFI of callback.lua, say), opened and then hidden from user code when {@code options} leaves them
     * out. {@code interruption}, when not null, is the one the state answers to (a cancellable thread's); otherwise
     * an interruptible state gets one of its own.
     */
    static LuaState open(Options options, Set<Library> forLibrary, Interruption interruption) {
        return new LuaState(options, forLibrary, interruption);
    }

    private LuaState(Options options, Set<Library> forLibrary, Interruption interruption) {
        this.options = options;
        long limit = options.memoryLimit();
        this.interruption = interruption != null ? interruption
                : options.interruptible() ? new Interruption(false, INTERRUPTED) : null;
        this.lock = new StateLock(memory, lifetime, this.interruption);
        JavaValues values = new JavaValues(memory);
        references = new LuaValues(this, lifetime, memory);
        values.bridge(references);
        LuaFailures failures = new LuaFailures(values, this.interruption);
        MemorySegment state = MemorySegment.NULL;
        try {
            MemoryLimit memoryLimit = limit > 0 ? new MemoryLimit(limit, lifetime.stubs()) : null;
            state = memoryLimit != null ? lua_newstate(memoryLimit.function(), MemorySegment.NULL) : luaL_newstate();
            if (state.equals(MemorySegment.NULL)) {
                throw new IllegalStateException(memoryLimit != null
                        ? "LuaJIT refused a state with a memory limit (it needs a GC64 build) or has no memory"
                        : "LuaJIT could not create a state: out of memory");
            }
            lifetime.own(state, memoryLimit);
            calls = new CallPath(state, values, failures, memoryLimit, this.interruption, options.timeLimitNanos(),
                    lock, lifetime, memory);
            references.calls(calls);
            long id = IDS.incrementAndGet();
            LjAsync.register(id, this); // for the states that lj-async's Lua API makes from this one
            lifetime.afterClose(() -> LjAsync.forget(id));
            int[] helpers = StateSetup.open(calls, id, options, forLibrary, this.interruption);
            callRef = helpers[0];
            lookupRef = helpers[1];
            assignRef = helpers[2];
            registerRef = helpers[3];
            typedCalls = new TypedCalls(calls, lifetime, lookupRef);
            javaFunctions = new JavaFunctions(calls, lifetime, registerRef);
            typedJavaFunctions = new TypedJavaFunctions(calls, javaFunctions, lifetime);
            int finishRef = helpers[4];
            values.objects().attach((L, name, function) -> javaFunctions.pushPrivate(L, "Java function '" + name + "'", function::call),
                    lifetime, L -> StateSetup.objectsTable(calls, L, finishRef), options.javaClasses());
            if (options.javaClasses()) {
                values.objects().openJavaLibrary(state);
            }
            JavaModules.install(this, calls, javaFunctions, options.modules());
            StateOutput.install(calls, javaFunctions, lifetime, options);
        } catch (RuntimeException | Error e) {
            lifetime.free();
            throw e;
        }
        lifetime.freeWhenUnreachable(this);
    }

    // ---- the API ---------------------------------------------------------------------------------------------------

    /**
     * Runs Lua source text as a chunk named "chunk" and returns what it returns.
     *
     * @param source the Lua source text
     * @return the chunk's results
     * @throws LuaException of kind SYNTAX if it does not compile, or any kind if running it fails
     */
    public Object[] run(String source) {
        return run(source, "chunk", new Object[0]);
    }

    /**
     * Compiles and runs Lua source text ({@code luaL_loadbufferx}, text mode, then {@code lua_pcall}). Text is
     * text: a binary chunk is refused, and so is bytecode that the text hands to Lua's own loaders, unless the
     * state was built with {@link Builder#bytecode(boolean)}.
     *
     * @param source    the Lua source text
     * @param chunkName the name errors and tracebacks show ({@code "name:3: ..."})
     * @param args      the chunk's {@code ...}
     * @return the chunk's results
     * @throws LuaException             of kind SYNTAX if it does not compile, or any kind if running it fails
     * @throws IllegalArgumentException when an argument has no Lua value
     */
    public Object[] run(String source, String chunkName, Object... args) {
        return calls.run(this, JavaValues.source(source), chunkName, "t", args);
    }

    /**
     * Runs a chunk given as bytes: LuaJIT bytecode (as made by {@link #compile}) or source text. For trusted code
     * only: LuaJIT does not verify bytecode, and bytecode crafted to be malformed can crash the process. Load only
     * bytecode you made.
     *
     * @param chunk     the bytecode or source text
     * @param chunkName the name errors and tracebacks show
     * @param args      the chunk's {@code ...}
     * @return the chunk's results
     * @throws LuaException             if it does not load or running it fails
     * @throws IllegalArgumentException when an argument has no Lua value
     */
    public Object[] run(byte[] chunk, String chunkName, Object... args) {
        return calls.run(this, chunk, chunkName, "bt", args);
    }

    /**
     * Compiles Lua source to LuaJIT bytecode without running it ({@code lua_dump}, as {@code string.dump}). The
     * bytes can be run by any state of the same LuaJIT with {@link #run(byte[], String, Object...)}.
     *
     * @param source    the Lua source text
     * @param chunkName the name errors and tracebacks show
     * @return the bytecode
     * @throws LuaException of kind SYNTAX if it does not compile
     */
    public byte[] compile(String source, String chunkName) {
        return calls.compile(this, source, chunkName);
    }

    /**
     * Calls a global function, or one reached through tables with a dotted name ({@code "string.format"}). A plain
     * global name that holds a function takes a short path (its Lua string is made once, the function read from the
     * globals without metamethods, which apply when it is nil); for the fastest calls to one function from Java,
     * use a typed handle ({@link #function}).
     *
     * @param function the function's name
     * @param args     the arguments
     * @return the function's results
     * @throws LuaException             if the name is not callable or the function raises an error
     * @throws IllegalArgumentException when the name is not a name, or an argument has no Lua value
     */
    public Object[] call(String function, Object... args) {
        return calls.call(this, callRef, function, args);
    }

    /**
     * The value of a global, or of a dotted name through tables ({@code "package.path"}); indexing may run
     * metamethods.
     *
     * @param name the global or dotted name
     * @return the value; null for nil
     * @throws LuaException             if a part on the way cannot be indexed, indexing raises an error, or the value
     *                                  is a table nested too deep to copy
     * @throws IllegalArgumentException when the name is not a name
     */
    public Object get(String name) {
        return calls.execute(this, "'" + name + "'", L -> calls.pushHelper(L, lookupRef, name))[0];
    }

    /**
     * A reference to the value of a global or dotted name: unlike {@link #get}, a table is not copied, so changes
     * made through the reference are changes to the table in Lua, and changes made by Lua code show through it.
     *
     * @param name the global or dotted name
     * @return a reference to the value; null for nil
     * @throws LuaException             if a part on the way cannot be indexed, or indexing raises an error
     * @throws IllegalArgumentException when the name is not a name
     */
    public LuaValue reference(String name) {
        return calls.execute(this, name, L -> calls.pushHelper(L, lookupRef, name), references::first);
    }

    /**
     * A new coroutine running {@code function} ({@code coroutine.create}); drive it with {@link LuaValue#resume} and
     * {@link LuaValue#status}.
     *
     * @param function a function of this state
     * @return the coroutine, suspended
     * @throws LuaException             when {@code function} is not a function
     * @throws IllegalArgumentException when it is a reference into another state
     */
    public LuaValue coroutine(LuaValue function) {
        return calls.execute(this, "making a coroutine", L -> {
            references.pushHelper(L, LuaValues.COROUTINE);
            return 0;
        }, references::first, function);
    }

    /**
     * Sets a global, or a dotted name ({@code "config.size"}), making the missing tables on the way.
     *
     * @param name  the global or dotted name
     * @param value the value; null sets nil
     * @throws LuaException             if a part on the way holds a value that is not a table
     * @throws IllegalArgumentException when the name is not a name, or the value has no Lua value
     */
    public void set(String name, Object value) {
        calls.execute(this, "'" + name + "'", L -> calls.pushHelper(L, assignRef, name), value);
    }

    /**
     * Makes a Java function callable from Lua under a global or dotted name ({@code "mylib.add"} puts it in table
     * {@code mylib}, made if missing). It is a {@code lua_CFunction} upcall; see {@link JavaFunction} for how values
     * and exceptions cross. A Java function may call back into its state, or into another state; calls nested that
     * way, on any states, end with a {@link LuaException} "stack overflow" once less than 128 KB of the thread's own
     * stack is left (the room the JVM needs to enter Java code from native code), whatever the thread's stack size:
     * a level takes about 3.7 KB while the code is interpreted (less once compiled), so a thread of 256 KB nests
     * about 30 levels deep, one of 512 KB about 100, one of 1 MB (the JVM's default) about 230.
     *
     * <p>The state holds {@code function} as long as its Lua function exists: registering a name again replaces
     * the Lua function there, and the Java function it called is let go once Lua code holds no other reference to
     * that Lua function (which works until then) and the collector has freed it.
     *
     * @param name     the global or dotted name to register it under
     * @param function the Java function
     * @throws LuaException             if a part on the way holds a value that is not a table
     * @throws IllegalArgumentException when the name is not a name
     */
    public void register(String name, JavaFunction function) {
        if (function == null) {
            throw new NullPointerException("function");
        }
        calls.execute(this, name, L -> javaFunctions.pushRegistration(L, name, function));
    }

    /**
     * Makes a Java method callable from Lua as a C function of type {@code signature}, under a global or dotted
     * name: the fast way for Lua to call Java, the counterpart of {@link #function(String, String)}. Lua calls it
     * through LuaJIT's FFI, as it calls a C function, so the JIT compiles the call into the calling code and a call
     * costs about what the Panama upcall costs. Values convert as the FFI converts them for a C function of that type
     * (a Lua number to an {@code int32_t} or a {@code double}, a number or an {@code int64_t} cdata to an
     * {@code int64_t}, which comes back as an {@code int64_t} cdata; a pointer to a {@code MemorySegment}). A
     * Java exception becomes a Lua error at the caller once the call has returned ("Java function 'name' threw
     * ..."; uncaught, a {@link LuaException} of kind {@link LuaException.Kind#JAVA} with the exception as its cause).
     * The method runs inside an FFI call, where LuaJIT must not be entered again: calls into this state from it are
     * refused with an {@link IllegalStateException} (a {@link #register(String, JavaFunction) JavaFunction} may call
     * back; so may this method, into other states). Needs the FFI in the state (it is there unless the builder's
     * libraries leave it out). The upcall stub lives as long as the state.
     *
     * @param name      the global or dotted name to register it under
     * @param signature the C function-pointer type, as for {@link CallbackType#of(String)}
     * @param target    the method, of the type the signature maps to (or one {@code asType} adapts to it)
     * @throws IllegalArgumentException when the signature is not a supported type, the target cannot take its
     *                                  type, or the name is not a name
     * @throws LuaException             if a part on the way holds a value that is not a table, or the state has
     *                                  no FFI
     */
    public void register(String name, String signature, MethodHandle target) {
        Objects.requireNonNull(target, "target");
        CallbackType type = CallbackType.of(signature);
        calls.execute(this, name, L -> {
            int pushed = calls.pushHelper(L, assignRef, name);
            typedJavaFunctions.push(L, name, type, target);
            return pushed + 1;
        });
    }

    /**
     * A Lua function of this state as a method handle typed by a C function-pointer type, for fast calls from Java:
     * {@code function("inc", "int64_t (*)(int64_t)")} is a {@code (long)long} handle. The name (global or dotted) is
     * looked up once, now: later calls go straight to the function, without boxing or allocation. Values convert as
     * for a {@link Callback} of that type (the FFI converts them: 64-bit integers reach Lua as {@code int64_t}
     * cdata, narrower integers and doubles as numbers). Calls are serialized with the state's other calls and may be
     * made from a Java function the state runs. A Lua error, or a result that does not convert, is thrown as a
     * {@link LuaException}; a call after close is an {@link IllegalStateException}. The handle keeps this state
     * open; once it is dropped, what it holds in the state is freed by the next call into the state.
     *
     * @param name      the function's global or dotted name
     * @param signature the C function-pointer type, as for {@link CallbackType#of(String)}
     * @return a method handle of the type the signature maps to, bound to the function
     * @throws IllegalArgumentException when the signature is not a supported C function-pointer type
     * @throws LuaException             when the name does not name a function
     */
    public MethodHandle function(String name, String signature) {
        return typedCalls.handle(this, name, signature, () -> CallbackType.of(signature));
    }

    /**
     * A Lua function as a method handle typed by a Panama descriptor; see {@link #function(String, String)}.
     *
     * @param name       the function's global or dotted name
     * @param descriptor the function's types, as for {@link CallbackType#of(FunctionDescriptor)}
     * @return a method handle of the descriptor's type, bound to the function
     * @throws IllegalArgumentException for struct, union, sequence or padding layouts
     * @throws LuaException             when the name does not name a function
     */
    public MethodHandle function(String name, FunctionDescriptor descriptor) {
        return typedCalls.handle(this, name, descriptor, () -> CallbackType.of(descriptor));
    }

    /**
     * The memory this state's Lua heap uses, in bytes ({@code lua_gc(LUA_GCCOUNT)} and {@code LUA_GCCOUNTB}).
     *
     * @return the bytes in use now
     */
    public long memoryUsed() {
        return calls.locked(this, () -> LuaNative.memoryUsed(calls.L));
    }

    /**
     * The loaded LuaJIT's version ({@code jit.version}), checked at load against the bound headers' 2.1.
     *
     * @return the version, beginning {@code "LuaJIT 2.1"}
     */
    public static String luaJitVersion() {
        return RUNTIME_VERSION;
    }

    /**
     * True once {@link #close()} has run.
     *
     * @return whether the state is closed
     */
    public boolean isClosed() {
        return lock.closed() || lock.closing();
    }

    /**
     * Ends the call running in this state, on whatever thread, with a {@link LuaException.Kind#CANCELLED} error:
     * within milliseconds wherever its Lua code is (a loop, a wait in {@code ljasync.sync}), except inside a
     * {@code __gc} finalizer (LuaJIT runs no hook there), a C function that runs long (a pattern search that
     * backtracks for minutes: the hook runs between VM instructions) or a Java function that does not answer its
     * thread's interrupt; those are stopped when they return. Does nothing while no call runs: the next call runs as usual. The thread that made the call is
     * interrupted to end a wait; the call takes that interrupt back when it ends.
     *
     * @throws IllegalStateException when the state was not opened {@link Builder#interruptible(boolean) interruptible}
     */
    public void interrupt() {
        if (interruption == null) {
            throw new IllegalStateException("this LuaState is not interruptible; open it with"
                    + " LuaState.builder().interruptible(true)");
        }
        interruption.raise();
    }

    /**
     * Closes the state ({@code lua_close}, which runs pending {@code __gc} finalizers, within the state's memory
     * limit if it has one) and frees its upcall stubs.
     * Waits for a call in flight on another thread. A second close does nothing.
     *
     * <p>An {@link Builder#interruptible(boolean) interruptible} state's close returns within about a second,
     * whatever its Lua code does: it refuses new calls, interrupts the call in flight and waits up to half a second
     * for it to end, then runs {@code lua_close} on a thread of its own and waits up to half a second for that. A
     * call that does not end (a {@code __gc} finalizer that never ends: LuaJIT runs no hook in one) keeps the state
     * open until it returns, and its thread then closes it; a {@code lua_close} whose finalizer never ends keeps its
     * thread (a daemon) and the state's memory for good.
     *
     * @throws IllegalStateException when called from inside a call into this state (a Java function run by Lua)
     */
    @Override
    public void close() {
        if (interruption != null && !lock.heldByCurrentThread()) {
            lock.closeBounded();
            Reference.reachabilityFence(this); // as CallPath.locked's owner
            return;
        }
        lock.lock();
        try {
            if (lock.closed()) {
                return;
            }
            if (calls.nesting() > 0) {
                throw new IllegalStateException("a LuaState cannot be closed from inside a call into it"
                        + " (a Java function called by its Lua code); close it after that call returns");
            }
            lock.close();
        } finally {
            lock.unlock();
            Reference.reachabilityFence(this);
        }
    }

    @Override
    public String toString() {
        return "LuaState[" + (lock.closed() ? "closed" : "open") + ", " + RUNTIME_VERSION + "]";
    }

    /** How many Java objects the state's userdata hold now (for tests: collected userdata let theirs go). */
    int javaObjectsHeld() {
        return calls.locked(this, () -> calls.values.objects().held());
    }

    // ---- a callback's state: one pinned entry function (see PinnedEntry); used only by CallbackStates -----------

    /** Makes this state serve a callback; see {@link PinnedEntry#pin}. */
    void pinEntry(byte[] chunk, String chunkName, String mode, Object[] initArgs, Object[] setupArgs,
                  LibraryChunks.Chunk adapter, Object[] adapterArgs) {
        PinnedEntry.pin(this, calls, chunk, chunkName, mode, initArgs, setupArgs, adapter, adapterArgs);
    }

    /** Calls the pinned entry; see {@link PinnedEntry#call}. */
    int callEntry() {
        try {
            return PinnedEntry.call(calls);
        } finally {
            Reference.reachabilityFence(this); // as CallPath.locked's owner
        }
    }

    /** The error of a failed {@link #callEntry()}; see {@link PinnedEntry#failure}. */
    LuaException entryFailure(int status) {
        try {
            return PinnedEntry.failure(calls, status);
        } finally {
            Reference.reachabilityFence(this);
        }
    }
}
