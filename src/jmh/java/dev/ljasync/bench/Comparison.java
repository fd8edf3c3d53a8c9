package dev.ljasync.bench;

/**
 * Which benchmark is compared to which baseline, how the ratio is taken, and the goal: the one place that says so.
 * The report prints the comparisons in this order; one whose case and baseline both did not run (a name filter,
 * a failure) is left out.
 * Benchmarks are named "Class.method" within dev.ljasync.bench.
 */
enum Comparison {

    ROUND_TRIP_VS_FFI("Round trip, callback", "CallbackBench.roundTripCallback",
            "LuaJIT FFI callback", "CallbackBench.roundTripLuaJitFfiCallback", Ratio.TIME, Goal.atMost(1.5),
            Notes.ISSUE_1498, null),
    ROUND_TRIP_VS_PCALL("Round trip, callback", "CallbackBench.roundTripCallback",
            "C lua_pcall", "CallbackBench.roundTripCPcall", Ratio.TIME, Goal.atMost(2.5), null, null),
    ROUND_TRIP_POOLED_VS_FFI("Round trip, pooled callback", "CallbackBench.roundTripCallbackPooled",
            "LuaJIT FFI callback", "CallbackBench.roundTripLuaJitFfiCallback", Ratio.TIME, Goal.atMost(1.5),
            Notes.ISSUE_1498, null),
    ROUND_TRIP_POOLED_VS_PCALL("Round trip, pooled callback", "CallbackBench.roundTripCallbackPooled",
            "C lua_pcall", "CallbackBench.roundTripCPcall", Ratio.TIME, Goal.atMost(2.5), null, null),
    ROUND_TRIP_VS_UPCALL("Round trip, callback", "CallbackBench.roundTripCallback",
            "Panama upcall, Java body", "CallbackBench.roundTripPanamaUpcall", Ratio.TIME, Goal.NONE, null, null),

    JAVA_TO_LUA_VS_LUAJAVA("Java -> Lua, LuaState.function", "LuaStateBench.javaCallsLuaTyped",
            "luajava (JNI)", "LuaStateBench.luajavaCallsLua", Ratio.TIME, Goal.atMost(0.4), Notes.LUAJAVA, null),
    JAVA_TO_LUA_VS_C("Java -> Lua, LuaState.function", "LuaStateBench.javaCallsLuaTyped",
            "C lua_pcall", "LuaStateBench.cCallsLua", Ratio.TIME, Goal.atMost(2.0), null, null),
    JAVA_TO_LUA_CALL_VS_LUAJAVA("Java -> Lua, LuaState.call", "LuaStateBench.javaCallsLua",
            "luajava (JNI)", "LuaStateBench.luajavaCallsLua", Ratio.TIME, Goal.atMost(0.6), null, null),
    LUA_TO_JAVA_VS_LUAJAVA("Lua -> Java function", "LuaStateBench.luaCallsJava",
            "luajava JFunction (JNI)", "LuaStateBench.luajavaLuaCallsJava", Ratio.TIME, Goal.atMost(0.3),
            Notes.LUAJAVA_JFUNCTION, null),
    LUA_TO_JAVA("Lua -> Java function", "LuaStateBench.luaCallsJava",
            "Lua -> Lua function", "LuaStateBench.luaCallsLua", Ratio.TIME, Goal.NONE, null, null),
    JAVA_METHOD_VS_LUAJAVA("Lua -> Java object method", "ObjectBench.luaCallsJavaMethod",
            "luajava (JNI)", "ObjectBench.luajavaCallsJavaMethod", Ratio.TIME, Goal.NONE, null, null),

    ARRAY_TO_JAVA("1,000-element Lua array -> Java", "ValuesBench.arrayToJava",
            "luajava toList (JNI)", "ValuesBench.luajavaArrayToJava", Ratio.TIME, Goal.atMost(1.0), null, null),
    MAP_TO_LUA("1,000-entry Map -> Lua table", "ValuesBench.mapToLua",
            "luajava push, full conversion (JNI)", "ValuesBench.luajavaMapToLua", Ratio.TIME, Goal.atMost(1.0), null,
            null),

    CREATE("Create + close callback", "CallbackBench.createCallback",
            "C new state + close", "CallbackBench.createCState", Ratio.TIME, Goal.atMost(1.2), null, null),
    THREAD_START("Start + join LuaThread", "ThreadBench.startLuaThread",
            "C pthread + new state", "ThreadBench.startCThread", Ratio.TIME, Goal.atMost(1.2), null, null),
    THREAD_START_NATIVE("Start + join LuaThread, pthread", "ThreadBench.startNativeLuaThread",
            "C pthread + new state", "ThreadBench.startCThread", Ratio.TIME, Goal.NONE, null, null),
    THREAD_CANCELLABLE("LuaThread, 1e6-step loop, cancellable", "ThreadBench.computeCancellableLuaThread",
            "not cancellable", "ThreadBench.computeLuaThread", Ratio.TIME, Goal.NONE, null, null),
    EXECUTOR_CALL("LuaExecutor call -> result", "ExecutorBench.callLatency",
            "Start + join LuaThread", "ExecutorBench.startLuaThread", Ratio.TIME, Goal.atMost(0.1), null, null),
    EXECUTOR_CHUNK("LuaExecutor submit(source) -> result", "ExecutorBench.submitLatency",
            "Start + join LuaThread", "ExecutorBench.startLuaThread", Ratio.TIME, Goal.atMost(0.1), null, null),
    EXECUTOR_TWO_WORKERS("LuaExecutor small tasks, 2 workers", "ExecutorBench.throughputTwoWorkers",
            "1 worker", "ExecutorBench.throughputOneWorker", Ratio.THROUGHPUT, Goal.NONE, null, null),
    EXECUTOR_ONE_WORKER("LuaExecutor small tasks, 1 worker", "ExecutorBench.throughputOneWorker",
            "LuaState.call, same thread", "ExecutorBench.directCalls", Ratio.TIME, Goal.NONE, null, null),
    EXECUTOR_RESET("LuaExecutor small tasks, globals reset", "ExecutorBench.throughputOneWorkerReset",
            "no reset", "ExecutorBench.throughputOneWorker", Ratio.TIME, Goal.NONE, null, null),

    TWO_CALLERS_SERIALIZED("2 native callers, 1 state", "ParallelBench.serializedTwoThreads",
            "1 caller", "ParallelBench.serializedOneThread", Ratio.THROUGHPUT, Goal.NONE, null, null),
    TWO_CALLERS_POOLED("2 native callers, 2 states", "ParallelBench.pooledTwoThreads",
            "1 caller", "ParallelBench.pooledOneThread", Ratio.THROUGHPUT, Goal.atLeast(1.7), null, null),
    TWO_CALLERS_UPCALL("2 native callers, Panama upcall", "ParallelBench.upcallTwoThreads",
            "1 caller", "ParallelBench.upcallOneThread", Ratio.THROUGHPUT, Goal.NONE, null, null),
    TWO_CALLERS_C("2 C threads, lua_pcall, a state each", "ParallelBench.cPcallTwoThreads",
            "1 thread", "ParallelBench.cPcallOneThread", Ratio.THROUGHPUT, Goal.NONE, Notes.SCALING, null),

    CHANNEL("Channel, LuaThread -> Java", "ChannelBench.channel",
            "ArrayBlockingQueue", "ChannelBench.arrayBlockingQueue", Ratio.TIME, Goal.NONE, null, null),
    CHANNEL_JAVA("Channel, Java -> Java", "ChannelBench.channelJavaToJava",
            "ArrayBlockingQueue", "ChannelBench.arrayBlockingQueue", Ratio.TIME, Goal.NONE, null, null),
    CHANNEL_LUA("Channel, LuaThread -> Lua", "ChannelBench.channelLuaToLua",
            "ArrayBlockingQueue", "ChannelBench.arrayBlockingQueue", Ratio.TIME, Goal.NONE, null, null);

    /** How a comparison's ratio is taken from the two medians (both times per operation). */
    enum Ratio {
        /** case time / baseline time: below 1 the case is faster. */
        TIME,
        /** case throughput / baseline throughput (baseline time / case time): above 1 the case does more. */
        THROUGHPUT
    }

    /** A bound on the ratio; NONE for a comparison that only informs. */
    record Goal(boolean atMost, double bound) {
        static final Goal NONE = null;

        static Goal atMost(double bound) {
            return new Goal(true, bound);
        }

        static Goal atLeast(double bound) {
            return new Goal(false, bound);
        }

        boolean metBy(double ratio) {
            return atMost ? ratio <= bound : ratio >= bound;
        }

        @Override
        public String toString() {
            return (atMost ? "<= " : ">= ") + Report.ratio(bound);
        }
    }

    /** What the table says under the comparisons that need it. */
    static final class Notes {
        static final String ISSUE_1498 = "LuaJIT FFI callback: its C loop is called through the FFI from Lua in"
                + " the callback's own state, as LuaJIT documents callbacks; called from plain C with no Lua frame"
                + " below, one may crash when a trace exits (LuaJIT issue 1498), so it is not measured that way.";
        static final String LUAJAVA = "luajava: party.iroiro.luajava 4.0.2 over JNI with the LuaJIT that its"
                + " natives artifact bundles; each call is getGlobal, push, pCall, toInteger, pop.";

        static final String LUAJAVA_JFUNCTION = "luajava JFunction: the same Lua loop calls a luajava JFunction"
                + " pushed as a global, which reads its argument with toInteger and pushes its result.";

        static final String SCALING = "2 threads vs 1: the plain upcall and C lua_pcall rows are the ceilings of the"
                + " callbacks' scaling on this machine (nothing shared between the two threads).";

        private Notes() {}
    }

    final String caseLabel;
    final String caseBenchmark;
    final String baselineLabel;
    final String baselineBenchmark;
    final Ratio ratio;
    final Goal goal;
    final String note;
    final String pending;

    /**
     * note (or null) is printed under the table whenever the comparison is; pending (or null) says why the case
     * has no result yet, for a case whose benchmark waits for a part of the library: remove it with that wait.
     */
    Comparison(String caseLabel, String caseBenchmark, String baselineLabel, String baselineBenchmark, Ratio ratio,
               Goal goal, String note, String pending) {
        this.caseLabel = caseLabel;
        this.caseBenchmark = caseBenchmark;
        this.baselineLabel = baselineLabel;
        this.baselineBenchmark = baselineBenchmark;
        this.ratio = ratio;
        this.goal = goal;
        this.note = note;
        this.pending = pending;
    }

    /** The ratio of the two medians, each in ns per operation. */
    double ratio(double caseNanos, double baselineNanos) {
        return ratio == Ratio.TIME ? caseNanos / baselineNanos : baselineNanos / caseNanos;
    }
}
