package dev.ljasync.bench;

import java.util.List;

/**
 * Which benchmark is compared to which baseline, how the ratio is taken, and the goal: the one place that says so.
 * The report prints the comparisons in this order; one whose case and baseline both did not run (a name filter,
 * a failure) is left out.
 * Benchmarks are named "Class.method" within dev.ljasync.bench, with JMH's parameters after the method
 * ("ParallelBench.pooled{callers=2}"); a baseline named "A + B" is the sum of the medians of A and B, both from the
 * same run. A comparison whose case names {@value #CALLERS} is made once for each number of callers that the run has
 * from 2 up, {@value #CALLERS} replaced by it in the case's name and label.
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
    ROUND_TRIP_VS_FLOORS("Round trip, callback", "CallbackBench.roundTripCallback",
            "Panama upcall + C lua_pcall", "CallbackBench.roundTripPanamaUpcall + CallbackBench.roundTripCPcall",
            Ratio.TIME, Goal.NONE, Notes.FLOORS, null),
    ROUND_TRIP_POOLED_VS_FLOORS("Round trip, pooled callback", "CallbackBench.roundTripCallbackPooled",
            "Panama upcall + C lua_pcall", "CallbackBench.roundTripPanamaUpcall + CallbackBench.roundTripCPcall",
            Ratio.TIME, Goal.NONE, Notes.FLOORS, null),

    JAVA_TO_LUA_VS_LUAJAVA("Java -> Lua, LuaState.function", "LuaStateBench.javaCallsLuaTyped",
            "luajava (JNI)", "LuaStateBench.luajavaCallsLua", Ratio.TIME, Goal.atMost(0.4), Notes.LUAJAVA, null),
    JAVA_TO_LUA_VS_C("Java -> Lua, LuaState.function", "LuaStateBench.javaCallsLuaTyped",
            "C lua_pcall", "LuaStateBench.cCallsLua", Ratio.TIME, Goal.atMost(2.0), null, null),
    JAVA_TO_LUA_CALL_VS_LUAJAVA("Java -> Lua, LuaState.call", "LuaStateBench.javaCallsLua",
            "luajava (JNI)", "LuaStateBench.luajavaCallsLua", Ratio.TIME, Goal.atMost(0.6), null, null),
    LUA_TO_JAVA_VS_LUAJAVA("Lua -> Java function", "LuaStateBench.luaCallsJava",
            "luajava JFunction (JNI)", "LuaStateBench.luajavaLuaCallsJava", Ratio.TIME, Goal.atMost(0.3),
            Notes.LUAJAVA_JFUNCTION, null),
    LUA_TO_JAVA_TYPED_VS_LUAJAVA("Lua -> Java, typed (register with a C type)", "LuaStateBench.luaCallsJavaTyped",
            "luajava JFunction (JNI)", "LuaStateBench.luajavaLuaCallsJava", Ratio.TIME, Goal.atMost(0.3),
            Notes.LUAJAVA_JFUNCTION, null),
    LUA_TO_JAVA_TYPED("Lua -> Java, typed (register with a C type)", "LuaStateBench.luaCallsJavaTyped",
            "Lua -> Java function", "LuaStateBench.luaCallsJava", Ratio.TIME, Goal.NONE, null, null),
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
    THREAD_LJASYNC("Start + join lj-async.thread, from Lua", "ThreadBench.startLjAsyncThread",
            "LuaThread from Java", "ThreadBench.startLuaThread", Ratio.TIME, Goal.NONE, null, null),
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

    SCALING_SERIALIZED("{k} native callers, 1 state", "ParallelBench.serialized{callers={k}}",
            "1 caller", "ParallelBench.serialized{callers=1}", Ratio.THROUGHPUT, Goal.NONE, null, null),
    SCALING_POOLED("{k} native callers, a pool of states", "ParallelBench.pooled{callers={k}}",
            "1 caller", "ParallelBench.pooled{callers=1}", Ratio.THROUGHPUT, Goal.atLeastPerCaller(0.85),
            Notes.POOL, null),
    SCALING_UPCALL("{k} native callers, Panama upcall", "ParallelBench.upcall{callers={k}}",
            "1 caller", "ParallelBench.upcall{callers=1}", Ratio.THROUGHPUT, Goal.NONE, null, null),
    SCALING_C("{k} C threads, lua_pcall, a state each", "ParallelBench.cPcall{callers={k}}",
            "1 thread", "ParallelBench.cPcall{callers=1}", Ratio.THROUGHPUT, Goal.NONE, Notes.SCALING, null),

    QUEUED_CALLER("Queued call, the caller's cost", "QueuedBench.queuedCall",
            "direct round trip", "QueuedBench.directCall", Ratio.TIME, Goal.atMost(0.5), Notes.QUEUED, null),
    QUEUED_CALLER_ALONE("Queued call, the caller's cost, worker held", "QueuedBench.queuedCallWorkerHeld",
            "direct round trip", "QueuedBench.directCall", Ratio.TIME, Goal.NONE, Notes.QUEUED_ALONE, null),
    QUEUED_LATENCY("Queued call, queue to run", "QueuedBench.queueToRun",
            "Java thread hand-off and back", "QueuedBench.javaHandOff", Ratio.TIME, Goal.NONE, null, null),
    QUEUED_ONE_PRODUCER("Queued, 1 native producer, to run", "QueuedBench.queuedOneProducer",
            "direct, 1 caller", "QueuedBench.directOneThread", Ratio.THROUGHPUT, Goal.NONE, null, null),
    QUEUED_TWO_PRODUCERS("Queued, 2 native producers, to run", "QueuedBench.queuedTwoProducers",
            "1 producer", "QueuedBench.queuedOneProducer", Ratio.THROUGHPUT, Goal.NONE, null, null),
    QUEUED_TWO_VS_DIRECT("Queued, 2 native producers, to run", "QueuedBench.queuedTwoProducers",
            "direct, 2 callers, 1 state", "QueuedBench.directTwoThreads", Ratio.THROUGHPUT, Goal.NONE, null, null),

    CHANNEL("Channel, LuaThread -> Java", "ChannelBench.channel",
            "ArrayBlockingQueue", "ChannelBench.arrayBlockingQueue", Ratio.TIME, Goal.NONE, null, null),
    CHANNEL_JAVA("Channel, Java -> Java", "ChannelBench.channelJavaToJava",
            "ArrayBlockingQueue", "ChannelBench.arrayBlockingQueue", Ratio.TIME, Goal.NONE, null, null),
    SELECT_JAVA("Channel.select of 2, Java -> Java", "SelectBench.selectJavaToJava",
            "Channel.receive", "ChannelBench.channelJavaToJava", Ratio.TIME, Goal.NONE, null, null),
    SELECT_LUA("sync.select of 2, LuaThread -> Lua", "SelectBench.selectLuaToLua",
            "ch:receive()", "ChannelBench.channelLuaToLua", Ratio.TIME, Goal.NONE, null, null),
    CHANNEL_LUA("Channel, LuaThread -> Lua", "ChannelBench.channelLuaToLua",
            "ArrayBlockingQueue", "ChannelBench.arrayBlockingQueue", Ratio.TIME, Goal.NONE, null, null),
    CHANNEL_VS_C("Channel, LuaThread -> Java", "ChannelBench.channel",
            "C ring, mutex + condvar", "ChannelBench.cChannel", Ratio.TIME, Goal.NONE, Notes.C_CHANNEL, null),
    CHANNEL_JAVA_VS_C("Channel, Java -> Java", "ChannelBench.channelJavaToJava",
            "C ring, mutex + condvar", "ChannelBench.cChannel", Ratio.TIME, Goal.NONE, Notes.C_CHANNEL, null),
    CHANNEL_LUA_VS_C("Channel, LuaThread -> Lua", "ChannelBench.channelLuaToLua",
            "C ring, mutex + condvar", "ChannelBench.cChannel", Ratio.TIME, Goal.NONE, Notes.C_CHANNEL, null),
    QUEUE_VS_C("ArrayBlockingQueue", "ChannelBench.arrayBlockingQueue",
            "C ring, mutex + condvar", "ChannelBench.cChannel", Ratio.TIME, Goal.NONE, Notes.C_CHANNEL, null);

    /** How a comparison's ratio is taken from the two medians (both times per operation). */
    enum Ratio {
        /** case time / baseline time: below 1 the case is faster. */
        TIME,
        /** case throughput / baseline throughput (baseline time / case time): above 1 the case does more. */
        THROUGHPUT
    }

    /**
     * A bound on the ratio; NONE for a comparison that only informs. A bound per caller is multiplied by the number
     * of callers of the comparison it is a goal of.
     */
    record Goal(boolean atMost, double bound, boolean perCaller) {
        static final Goal NONE = null;

        static Goal atMost(double bound) {
            return new Goal(true, bound, false);
        }

        static Goal atLeast(double bound) {
            return new Goal(false, bound, false);
        }

        static Goal atLeastPerCaller(double bound) {
            return new Goal(false, bound, true);
        }

        /** This goal for k callers. */
        Goal forCallers(int k) {
            return perCaller ? new Goal(atMost, bound * k, false) : this;
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

        static final String SCALING = "k threads vs 1 (from 1 to the machine's cores): the plain upcall and C"
                + " lua_pcall rows are the ceilings of the callbacks' scaling on this machine (nothing shared between"
                + " the threads).";
        static final String POOL = "Pooled callback: a pool of as many states as the machine has cores; the goal is"
                + " 0.85x per caller (1.70x for 2).";
        static final String FLOORS = "Panama upcall + C lua_pcall: the sum of the two floors' medians in this run,"
                + " what a callback would cost if it added nothing to an upcall and a lua_pcall.";
        static final String C_CHANNEL = "C ring: a pthread copies the same encoded messages (a tag and a double,"
                + " as the channels encode numbers) into a ring of the same capacity behind a mutex and two"
                + " condition variables; the benchmark thread copies them out and decodes them, one downcall a batch.";

        static final String QUEUED = "Queued call: the C loop's time per call with the queue never full (drained"
                + " before each invocation), while the worker thread runs the calls on the other core.";

        static final String QUEUED_ALONE = "Queued call, worker held: the same loop while the worker is held by an"
                + " earlier call, so that only the caller's own path is measured.";

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

    /** What a scaling comparison's case names in place of its number of callers. */
    static final String CALLERS = "{k}";

    /** Whether this comparison is made once for each number of callers. */
    boolean scaling() {
        return caseBenchmark.contains(CALLERS);
    }

    /** The case's label for k callers (the label itself unless the comparison scales). */
    String caseLabel(int k) {
        return caseLabel.replace(CALLERS, Integer.toString(k));
    }

    /** The case's benchmark name for k callers (the name itself unless the comparison scales). */
    String caseBenchmark(int k) {
        return caseBenchmark.replace(CALLERS, Integer.toString(k));
    }

    /** The benchmarks whose medians add up to the baseline: one, or the parts of "A + B". */
    List<String> baselineParts() {
        return List.of(baselineBenchmark.split(" \\+ "));
    }

    /** The ratio of the two medians, each in ns per operation. */
    double ratio(double caseNanos, double baselineNanos) {
        return ratio == Ratio.TIME ? caseNanos / baselineNanos : baselineNanos / caseNanos;
    }
}
