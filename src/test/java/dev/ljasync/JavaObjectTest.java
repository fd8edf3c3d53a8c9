package dev.ljasync;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** Java objects in Lua: identity, methods of an exposed type, overloads, errors, hostile Lua, and release. */
@Timeout(60)
class JavaObjectTest {

    /** The type Lua code sees; the object behind it has more, which Lua must not reach. */
    public interface Probe {
        int inc(int x);
        long add(long a, long b);
        double half(double d);
        float single(float f);
        short small(short s);
        byte tiny(byte b);
        boolean negate(boolean b);
        char letter(char c);
        Integer boxed(Integer i);
        String echo(String s);
        int length(CharSequence s);
        int size(byte[] bytes);
        String pick(int x);
        String pick(double x);
        String pick(String s);
        String pick(Object o);
        String pick(int a, int b);
        void run();
        Object self();
        Object peer();
        void fail(String message);
    }

    public static final class Counter implements Probe {
        int runs;

        public int inc(int x) { return x + 1; }
        public long add(long a, long b) { return a + b; }
        public double half(double d) { return d / 2; }
        public float single(float f) { return f; }
        public short small(short s) { return s; }
        public byte tiny(byte b) { return b; }
        public boolean negate(boolean b) { return !b; }
        public char letter(char c) { return Character.toUpperCase(c); }
        public Integer boxed(Integer i) { return i == null ? -1 : i; }
        public String echo(String s) { return s; }
        public int length(CharSequence s) { return s.length(); }
        public int size(byte[] bytes) { return bytes.length; }
        public String pick(int x) { return "int"; }
        public String pick(double x) { return "double"; }
        public String pick(String s) { return "String"; }
        public String pick(Object o) { return "Object"; }
        public String pick(int a, int b) { return "two"; }
        public void run() { runs++; }
        public Object self() { return this; }
        public Object peer() { return JavaObject.of(new Counter(), Probe.class); }
        public void fail(String message) { throw new IllegalStateException(message); }
        public String secret() { return "hidden"; }
        @Override public String toString() { return "a counter"; }
    }

    private final LuaState lua = LuaState.open();
    private final Counter counter = new Counter();
    private final JavaObject probe = JavaObject.of(counter, Probe.class);

    @AfterEach
    void close() {
        lua.close();
    }

    private Object[] run(String code, Object... args) {
        return lua.run(code, "chunk", args);
    }

    private String error(String code, Object... args) {
        return assertThrows(LuaException.class, () -> run(code, args)).luaMessage();
    }

    @Test
    void shouldGiveBackTheSameObject() {
        Object plain = new Object();
        Map<String, Integer> map = new HashMap<>(Map.of("a", 1));
        assertSame(plain, run("return ...", plain)[0]);
        assertSame(map, run("return ...", JavaObject.of(map))[0]);
        assertSame(counter, run("return ...", probe)[0]);
        lua.register("same", args -> args[0] == args[1]);
        lua.set("kept", plain);
        assertSame(plain, lua.get("kept"));
        assertEquals(true, run("return same(kept, ...)", plain)[0]);
        assertArrayEquals(new Object[] {"userdata", "userdata", "table"},
                run("local m, t = ... return type(kept), type(m), type(t)", JavaObject.of(map), map));
    }

    @Test
    void shouldCompareByIdentity() {
        Object a = new Object();
        assertArrayEquals(new Object[] {true, false, false},
                run("local a1, a2, b = ... return a1 == a2, a1 == b, rawequal(a1, a2)", a, a, new Object()));
        assertEquals(true, run("local x, y = ... return x == y", probe, JavaObject.of(counter))[0]);
        assertEquals(false, run("local x, y = ... return x == y", new String("s"), JavaObject.of(new String("s")))[0]);
    }

    @Test
    void shouldCallMethodsOfTheExposedTypeWithEachPrimitive() {
        Object[] r = run("""
                local p = ...
                return p:inc(41), p:add(2^40, 1), p:half(3), p:single(0.5), p:small(-300), p:tiny(-128),
                       p:negate(false), p:letter('q'), p:boxed(7), p:boxed(nil), p:echo('h\\0i'), p:length('abc'),
                       p:size('\\255\\0')
                """, probe);
        assertArrayEquals(new Object[] {42L, (1L << 40) + 1, 1.5, 0.5, -300L, -128L, true, "Q", 7L, -1L, "h\0i",
                3L, 2L}, r);
        assertEquals(0L, run("local p = ... return select('#', p:run())", probe)[0]);
        assertEquals(1, counter.runs);
    }

    @Test
    void shouldChooseOverloadsByCountThenByTheClosestFit() {
        Object[] r = run("local p, o = ... return p:pick(5), p:pick(1.5), p:pick('x'), p:pick(o), p:pick(1, 2),"
                + " p:pick(true)", probe, new Object());
        assertArrayEquals(new Object[] {"int", "double", "String", "Object", "two", "Object"}, r);
    }

    @Test
    void shouldRefuseNumbersThatDoNotFitExactly() {
        for (String call : List.of("p:inc(1.5)", "p:inc(2^31)", "p:tiny(128)", "p:small(40000)", "p:single(0.1)",
                "p:add(1.5, 1)", "p:negate(0)", "p:echo(1)", "p:letter('ab')", "p:inc()", "p:inc(1, 2)")) {
            String message = error("local p = ... local x = " + call, probe);
            assertTrue(message.startsWith("chunk:1: Java function 'dev.ljasync.JavaObjectTest$Probe."), message);
            assertTrue(message.contains("IllegalArgumentException: no overload of dev.ljasync.JavaObjectTest$Probe."),
                    message);
        }
        assertTrue(error("local p = ... local x = p:inc(1.5)", probe).endsWith("takes (number 1.5); it has inc(int)"));
    }

    @Test
    void shouldRaiseAJavaExceptionAsALuaErrorWithItsCause() {
        LuaException e = assertThrows(LuaException.class, () -> run("local p = ...\np:fail('boom')", probe));
        assertEquals("chunk:2: Java function 'dev.ljasync.JavaObjectTest$Probe.fail' threw"
                + " java.lang.IllegalStateException: boom", e.luaMessage());
        assertInstanceOf(IllegalStateException.class, e.getCause());
        assertEquals("boom", e.getCause().getMessage());
        assertArrayEquals(new Object[] {false, true}, run(
                "local p = ... local ok, m = pcall(p.fail, p, 'x')"
                        + " return ok, m:find('IllegalStateException: x') ~= nil",
                probe));
    }

    @Test
    void shouldShowObjectsWithTostring() {
        Object opaque = new Object();
        assertArrayEquals(new Object[] {"a counter", "java.lang.Object@" + Integer.toHexString(
                System.identityHashCode(opaque))},
                run("local p, o = ... return tostring(p), tostring(o)", probe, opaque));
    }

    @Test
    void shouldRefuseWhatAJavaObjectDoesNotHave() {
        String probeName = "dev.ljasync.JavaObjectTest$Probe";
        assertEquals("chunk:1: no method 'secret' on " + probeName, error("local p = ... return p:secret()", probe));
        assertEquals("chunk:1: no method 'size' on java.util.HashMap",
                error("local m = ... return m:size()", JavaObject.of(new HashMap<>())));
        assertEquals("chunk:1: no method 'inc' on java.lang.Object",
                error("local o = ... return o:inc(1)", new Object()));
        assertEquals("chunk:1: attempt to get the length of a Java object (" + probeName + ")",
                error("local p = ... return #p", probe));
        assertEquals("chunk:1: cannot set 'inc' on a Java object (" + probeName + ")",
                error("local p = ... p.inc = 1", probe));
        assertEquals("chunk:1: no method '1' on " + probeName, error("local p = ... return p[1]", probe));
    }

    @Test
    void shouldKeepMethodsToObjectsExposedWithTheirType() {
        String probeName = "dev.ljasync.JavaObjectTest$Probe";
        String bad = "chunk:1: bad self for method 'inc' of " + probeName + ": call it as obj:inc(...)";
        // another counter, passed without methods, cannot be reached through the methods of an exposed one
        assertEquals(bad, error("local p, other = ... local x = p.inc(other, 1)", probe, JavaObject.of(new Counter())));
        assertEquals(bad, error("local p = ... local x = p.inc(1)", probe));
        assertEquals(bad, error("local p = ... local u = newproxy(true) local x = p.inc(u, 1)", probe));
        // what only looks like one reaches Java as what it is
        assertEquals(bad, error("local p = ... local x = p.inc(setmetatable({}, {__metatable = getmetatable(p)}), 1)",
                probe));
        assertEquals(bad, error("local p = ... local u = newproxy(true) getmetatable(u).__metatable = getmetatable(p)"
                + " local x = p.inc(u, 1)", probe));
        assertArrayEquals(new Object[] {probeName, false, Counter.class.getName() + " (opaque)"}, run(
                "local p, o = ... return getmetatable(p), (pcall(setmetatable, p, {})), getmetatable(o)", probe,
                JavaObject.of(new Counter())));
        // an object a method returns is pushed by the one rule: without methods, unless it says otherwise
        assertEquals("chunk:1: no method 'inc' on " + Counter.class.getName(),
                error("local p = ... return p:self():inc(1)", probe));
        assertArrayEquals(new Object[] {2L, false}, run("local p = ... local q = p:peer() return q:inc(1), q == p",
                probe));
    }

    @Test
    void shouldStayShutInASandbox() {
        try (LuaState sandboxed = LuaState.open(LuaState.Library.STRING, LuaState.Library.TABLE)) {
            Object[] r = sandboxed.run("local p = ... local ok1 = pcall(setmetatable, p, {})"
                    + " local ok2, e = pcall(function() return p.__gc end) return getmetatable(p), ok1, ok2, e, java",
                    "chunk", probe);
            assertEquals(Probe.class.getName(), r[0]);
            assertEquals(false, r[1]);
            assertEquals(false, r[2]);
            assertTrue(((String) r[3]).contains("no method '__gc'"), (String) r[3]);
            assertNull(r[4]);
            assertEquals(42L, sandboxed.run("local p = ... return p:inc(41)", "chunk", probe)[0]);
        }
    }

    @Test
    void shouldNotCrashWhenTheDebugLibraryReachesTheMetatable() {
        lua.register("unwrap", args -> args[0]);
        Object[] r = run("""
                local p = ...
                local mt = debug.getmetatable(p)
                mt.__gc(newproxy())                     -- a userdata of 0 bytes
                mt.__gc("12345678")                     -- 8 bytes, not a userdata
                local fake = newproxy()
                debug.setmetatable(fake, mt)
                local ok1, e1 = pcall(unwrap, fake)     -- the metatable alone does not make a Java object: a reference
                local ok2, e2 = mt[3].inc("not a counter", 1) -- the raw closure: false and the message
                return ok1, e1, ok2, e2, p:inc(1)
                """, probe);
        assertEquals(true, r[0]);
        assertEquals(LuaValue.Type.USERDATA, ((LuaValue) r[1]).type());
        assertEquals(false, r[2]);
        assertTrue(((String) r[3]).contains("ClassCastException"), (String) r[3]);
        assertEquals(2L, r[4]);
    }

    @Test
    void shouldWorkInCoroutinesAndJavaFunctions() {
        lua.register("unwrap", args -> ((Counter) args[0]).inc(1));
        assertArrayEquals(new Object[] {2L, 6L}, run("""
                local p = ...
                local co = coroutine.wrap(function(x) coroutine.yield(unwrap(x)) return x:inc(5) end)
                return co(p), co()
                """, probe));
    }

    @Test
    void shouldReleaseEveryCollectedObject() {
        lua.register("make", args -> new Object());
        lua.register("probe", args -> JavaObject.of(new Counter(), Probe.class));
        run("kept = {} for i = 1, 10 do kept[i] = make() end");
        run("for i = 1, 1000000 do local o = make() if i % 10 == 0 then probe():inc(i) end end");
        run("collectgarbage() collectgarbage()");
        assertEquals(10, lua.javaObjectsHeld());
        run("kept = nil collectgarbage() collectgarbage()");
        assertEquals(0, lua.javaObjectsHeld());
    }

    @Test
    void shouldCloseWithObjectsHeld() {
        LuaState other = LuaState.open();
        other.register("make", args -> JavaObject.of(new Counter(), Probe.class));
        other.run("kept = {} for i = 1, 1000 do kept[i] = make() end");
        other.set("one", probe);
        assertEquals(1001, other.javaObjectsHeld());
        other.close();
        assertThrows(IllegalStateException.class, () -> other.run("return 1"));
    }

    @Test
    void shouldRefuseAnExposedTypeThatDoesNotFit() {
        assertThrows(IllegalArgumentException.class, () -> JavaObject.of((Object) "text", (Class) Probe.class));
        assertThrows(IllegalArgumentException.class, () -> JavaObject.of(new Hidden(), Hidden.class));
        assertThrows(NullPointerException.class, () -> JavaObject.of(null));
    }

    private static final class Hidden {}

    @Test
    void shouldLeaveJavaOutUnlessAsked() {
        assertArrayEquals(new Object[] {true, true}, run("return java == nil, rawget(_G, 'java') == nil"));
    }

    @Test
    void shouldReadTheStaticConstantsOfAnImportedClass() {
        try (LuaState trusted = LuaState.builder().javaClasses(true).open()) {
            Object[] r = trusted.run("""
                    local Integer = java.import("java.lang.Integer")
                    local ok, message = pcall(function() return Integer.NO_SUCH_FIELD end)
                    return Integer.MAX_VALUE, Integer.MIN_VALUE, java.import("java.lang.Math").PI,
                           tostring(Integer.TYPE), ok, message
                    """, "chunk");
            assertEquals(List.of((long) Integer.MAX_VALUE, (long) Integer.MIN_VALUE, Math.PI, "int", false),
                    Arrays.asList(r).subList(0, 5));
            assertTrue(r[5].toString().contains("NO_SUCH_FIELD"), r[5].toString());
        }
    }

    @Test
    void shouldReachPublicClassesWhenAsked() {
        try (LuaState trusted = LuaState.builder().javaClasses(true).open()) {
            Object[] r = trusted.run("""
                    local ArrayList = java.import("java.util.ArrayList")
                    local list = ArrayList.new()
                    list:add("a") list:add(1, "b")
                    local Math, Integer = java.import("java.lang.Math"), java.import("java.lang.Integer")
                    local fixed = java.import("java.util.List").of(1, 2, 3)
                    return list:size(), list:get(0), tostring(list), Integer.parseInt("42"), Math.max(1, 2),
                           Math.max(1.5, 2.5), fixed:size(), fixed:get(2), tostring(ArrayList)
                    """, "chunk");
            assertArrayEquals(new Object[] {2L, "a", "[a, b]", 42L, 2L, 2.5, 3L, 3L, "class java.util.ArrayList"}, r);
            List<?> made = (List<?>) trusted.run("return java.import('java.util.ArrayList').new()", "chunk")[0];
            assertEquals(ArrayList.class, made.getClass());
            // every object in such a state has its public methods
            assertEquals(3L, trusted.run("local s = ... return s:length()", "chunk", new StringBuilder("abc"))[0]);
            assertTrue(trusted.run("return pcall(java.import, 'no.such.Class')", "chunk")[1].toString()
                    .contains("no class no.such.Class"));
            assertTrue(trusted.run("return pcall(java.import, 'java.util.ImmutableCollections')", "chunk")[1]
                    .toString().contains("is not public in a package its module exports"));
            assertTrue(trusted.run("return pcall(java.import, 'jdk.internal.misc.Unsafe')", "chunk")[1]
                    .toString().contains("is not public in a package its module exports"));
            assertEquals(Integer.class, trusted.run("return java.import('java.lang.Integer')", "chunk")[0]);
            LuaException e = assertThrows(LuaException.class,
                    () -> trusted.run("local n = java.import('java.lang.Integer').parseInt('x')", "chunk"));
            assertInstanceOf(NumberFormatException.class, e.getCause());
            assertTrue(e.luaMessage().startsWith("chunk:1: Java function 'java.lang.Integer.parseInt' threw"
                    + " java.lang.NumberFormatException"), e.luaMessage());
            assertTrue(trusted.run("return pcall(function() return java.import('java.util.List').new() end)",
                    "chunk")[1].toString().endsWith("no method 'new' on java.util.List"));
        }
    }

    // ---- fields, proxies, arrays, java.method and java.luaify (a state with Java classes) ----------------------

    /** Public fields of each kind, and a field and a static field that a method of the same name hides. */
    public static final class Fields {
        public static int counter;
        public static String label = "start";
        public static final String NAME = "fields";
        public static int hidden = 1;
        public int x;
        public double y = 0.5;
        public final long id = 7;
        public byte small;
        public String text = "t";
        public Object any;
        public int[] numbers = {1, 2, 3};
        public List<String> names = new ArrayList<>(List.of("a"));
        public int size = 3;

        public int size() { return 42; }
        public static int hidden() { return 2; }
    }

    private static final String FIELDS = Fields.class.getName();

    private static LuaState trusted() {
        return LuaState.builder().javaClasses(true).open();
    }

    private static String failure(LuaState lua, String code, Object... args) {
        return assertThrows(LuaException.class, () -> lua.run(code, "chunk", args)).luaMessage();
    }

    /** Each code (of pairs: code, then the message after {@code prefix}) fails with its message. */
    private static void assertFailures(LuaState lua, String prefix, String... codeAndMessage) {
        for (int i = 0; i < codeAndMessage.length; i += 2) {
            assertEquals(prefix + codeAndMessage[i + 1], failure(lua, codeAndMessage[i]), codeAndMessage[i]);
        }
    }

    @Test
    void shouldReadAndWriteStaticFieldsLive() {
        Fields.counter = 0;
        Fields.label = "start";
        try (LuaState trusted = trusted()) {
            trusted.run("F = java.import('" + FIELDS + "')", "chunk");
            assertArrayEquals(new Object[] {0L, "start", "fields", "function", 2L},
                    trusted.run("return F.counter, F.label, F.NAME, type(F.hidden), F.hidden()", "chunk"));
            trusted.run("F.counter = 5 F.label = 'lua'", "chunk");
            assertEquals(5, Fields.counter);
            assertEquals("lua", Fields.label);
            Fields.counter = 9;
            assertEquals(9L, trusted.run("return F.counter", "chunk")[0]); // live, not read once
            trusted.run("F.label = nil", "chunk");
            assertNull(Fields.label);
            String field = "Java function '" + FIELDS + ".counter' threw java.lang.IllegalArgumentException: field "
                    + FIELDS + ".counter is of type int: ";
            assertEquals("chunk:1: " + field + "string does not fit it", failure(trusted, "F.counter = 'x'"));
            assertEquals("chunk:1: " + field + "number 2.5 does not fit it", failure(trusted, "F.counter = 2.5"));
            assertEquals("chunk:1: " + field + "number 4294967296 does not fit it",
                    failure(trusted, "F.counter = 2^32"));
            assertEquals("chunk:1: Java function '" + FIELDS + ".NAME' threw java.lang.IllegalArgumentException:"
                    + " field " + FIELDS + ".NAME is final", failure(trusted, "F.NAME = 'other'"));
            assertEquals("chunk:1: cannot set 'hidden' on a Java object (" + FIELDS + ")",
                    failure(trusted, "F.hidden = 3"));
            assertEquals("chunk:1: cannot set 'nothing' on a Java object (" + FIELDS + ")",
                    failure(trusted, "F.nothing = 3"));
            assertEquals("chunk:1: no method 'nothing' on " + FIELDS, failure(trusted, "return F.nothing"));
            assertEquals(9, Fields.counter);
            assertEquals(1, Fields.hidden);
            assertEquals(false, trusted.run("return pcall(function() F.counter = {} end)", "chunk")[0]);
        }
    }

    @Test
    void shouldReadAndWriteInstanceFields() {
        Fields fields = new Fields();
        try (LuaState trusted = trusted()) {
            Object[] r = trusted.run("""
                    local f = ...
                    f.x = 3 f.y = 1 f.small = -128 f.text = nil f.any = 'anything'
                    return f.x, f.y, f.id, f.small, f.text, f.any, type(f.size), f:size(), f.numbers[3], #f.numbers,
                           f.names:get(0)
                    """, "chunk", fields);
            assertArrayEquals(new Object[] {3L, 1L, 7L, -128L, null, "anything", "function", 42L, 3L, 3L, "a"}, r);
            assertEquals(3, fields.x);
            assertEquals(1.0, fields.y);
            assertNull(fields.text);
            assertEquals(3, fields.size);
            fields.x = 11;
            assertEquals(11L, trusted.run("local f = ... return f.x", "chunk", fields)[0]);
            trusted.run("local f = ... f.numbers[1] = 10 f.names:add('b')", "chunk", fields);
            assertArrayEquals(new int[] {10, 2, 3}, fields.numbers);
            assertEquals(List.of("a", "b"), fields.names);
            String prefix = "chunk:1: Java function '" + FIELDS + ".";
            assertEquals(prefix + "id' threw java.lang.IllegalArgumentException: field " + FIELDS + ".id is final",
                    failure(trusted, "local f = ... f.id = 1", fields));
            assertEquals(prefix + "small' threw java.lang.IllegalArgumentException: field " + FIELDS + ".small is"
                    + " of type byte: number 128 does not fit it",
                    failure(trusted, "local f = ... f.small = 128", fields));
            assertEquals("chunk:1: cannot set 'size' on a Java object (" + FIELDS + ")",
                    failure(trusted, "local f = ... f.size = 1", fields));
            assertEquals("chunk:1: no method 'counter' on " + FIELDS, // static fields through the class only
                    failure(trusted, "local f = ... return f.counter", fields));
            assertEquals(-128, fields.small);
        }
        // without Java classes an object has no fields
        assertEquals("chunk:1: no method 'x' on " + FIELDS,
                error("local f = ... return f.x", JavaObject.of(new Fields(), Fields.class)));
    }

    @Test
    void shouldImplementInterfacesWithLuaFunctionsAndTables() {
        try (LuaState trusted = trusted()) {
            Object[] r = trusted.run("""
                    local list = java.import("java.util.ArrayList").new()
                    list:add(3) list:add(1) list:add(2)
                    java.import("java.util.Collections").sort(list, java.proxy("java.util.Comparator",
                        function(a, b) return a - b end))
                    local names = {"b", "a"}
                    local iterator = java.proxy(java.import("java.util.Iterator"), {
                      i = 0,
                      hasNext = function(self) return self.i < #names end,
                      next = function(self) self.i = self.i + 1 return names[self.i] end,
                    })
                    local seen = {}
                    while iterator:hasNext() do seen[#seen + 1] = iterator:next() end
                    local both = java.proxy("java.lang.Runnable", "java.util.function.Supplier", {
                      run = function(self) self.ran = true end,
                      get = function(self) return "got" end,
                    })
                    both:run()
                    return tostring(list), table.concat(seen, ","), both:get(), both
                    """, "chunk");
            assertEquals("[1, 2, 3]", r[0]);
            assertEquals("b,a", r[1]);
            assertEquals("got", r[2]);
            assertInstanceOf(Runnable.class, r[3]);
            assertEquals("got", ((java.util.function.Supplier<?>) r[3]).get());
            String threw = "chunk:1: Java function 'java.proxy' threw java.lang.IllegalArgumentException: ";
            assertTrue(failure(trusted, "java.proxy('java.util.List', function() end)").startsWith(threw
                    + "a Lua function implements an interface of one abstract method; java.util.List has"),
                    "a function for a List");
            assertFailures(trusted, threw,
                    "java.proxy('java.util.ArrayList', {})",
                    "java.util.ArrayList is not an interface; a Lua value can implement interfaces only",
                    "java.proxy('java.lang.Runnable', 5)",
                    "a number 5 cannot implement an interface; a function or a table can",
                    "java.proxy({})",
                    "java.proxy takes one or more interfaces (names or imported classes) and then a table or a"
                            + " function implementing them",
                    "java.proxy('no.Such', {})",
                    "no class no.Such (give its binary name, like \"java.util.Map$Entry\")",
                    "java.proxy(true, {})",
                    "java.proxy takes types as names (\"int\", \"java.lang.String\") or imported classes, not boolean");
            // a method the table lacks
            LuaException e = assertThrows(LuaException.class, () -> trusted.run(
                    "java.proxy('java.lang.Runnable', {}):run()", "chunk"));
            assertInstanceOf(UnsupportedOperationException.class, e.getCause());
        }
    }

    @Test
    void shouldCallAProxyFromSeveralJavaThreads() throws Exception {
        try (LuaState trusted = trusted()) {
            @SuppressWarnings("unchecked")
            java.util.function.IntUnaryOperator twice = (java.util.function.IntUnaryOperator) trusted.run("""
                    counts = {calls = 0}
                    return java.proxy("java.util.function.IntUnaryOperator", {
                      applyAsInt = function(self, n) counts.calls = counts.calls + 1 return 2 * n end,
                    })
                    """, "chunk")[0];
            int threads = 4, calls = 500;
            List<Thread> started = new ArrayList<>();
            java.util.concurrent.atomic.AtomicInteger wrong = new java.util.concurrent.atomic.AtomicInteger();
            for (int t = 0; t < threads; t++) {
                Thread thread = new Thread(() -> {
                    for (int i = 0; i < calls; i++) {
                        if (twice.applyAsInt(i) != 2 * i) {
                            wrong.incrementAndGet();
                        }
                    }
                });
                thread.start();
                started.add(thread);
            }
            for (Thread thread : started) {
                assertTrue(thread.join(java.time.Duration.ofSeconds(30)), "a thread calling the proxy finished");
            }
            assertEquals(0, wrong.get());
            assertEquals((long) threads * calls, trusted.run("return counts.calls", "chunk")[0]);
        }
    }

    @Test
    void shouldMakeAndIndexJavaArraysFromOne() {
        try (LuaState trusted = trusted()) {
            Object[] r = trusted.run("""
                    local a = java.array("int", 3)
                    local first = a[1]
                    a[1] = 5 a[3] = 7
                    local grid = java.array("double", 2, 3)
                    grid[2][3] = 0.5
                    local words = java.array(java.import("java.lang.String"), {"x", "y"})
                    return a, first, #a, grid, #grid, #grid[1], words, words[2], java.array("byte", 2),
                           java.array("java.lang.String[]", 1), a:getClass():getSimpleName()
                    """, "chunk");
            assertArrayEquals(new int[] {5, 0, 7}, (int[]) r[0]);
            assertEquals(0L, r[1]);
            assertEquals(3L, r[2]);
            assertArrayEquals(new double[][] {{0, 0, 0}, {0, 0, 0.5}}, (double[][]) r[3]);
            assertEquals(List.of(2L, 3L), List.of(r[4], r[5]));
            assertArrayEquals(new String[] {"x", "y"}, (String[]) r[6]);
            assertEquals("y", r[7]);
            assertArrayEquals(new byte[2], (byte[]) r[8]); // a Java array in Lua, not a string
            assertArrayEquals(new String[1][], (String[][]) r[9]);
            assertEquals("int[]", r[10]);
            String bounds = "ArrayIndexOutOfBoundsException: index ";
            assertFailures(trusted, "chunk:1: Java function 'int[]' threw java.lang.",
                    "local a = java.array('int', 3) return a[0]", bounds + "0 is outside the int[3] (1 to 3)",
                    "local a = java.array('int', 3) a[4] = 1", bounds + "4 is outside the int[3] (1 to 3)",
                    "local a = java.array('int', 3) return a[1.5]", bounds + "1.5 is outside the int[3] (1 to 3)",
                    "local a = java.array('int', 0) return a[1]", bounds + "1 is outside the int[0], which has no"
                            + " elements",
                    "local a = java.array('int', 3) a[2] = 'x'",
                    "IllegalArgumentException: element 2 of a int[] takes int; string does not fit");
            assertInstanceOf(ArrayIndexOutOfBoundsException.class, assertThrows(LuaException.class,
                    () -> trusted.run("return java.array('int', 1)[2]", "chunk")).getCause());
            assertEquals("chunk:1: no method 'length' on int[]",
                    failure(trusted, "local a = java.array('int', 3) return a.length"));
            assertFailures(trusted, "chunk:1: Java function 'java.array' threw java.lang.IllegalArgumentException: ",
                    "java.array('int', -1)", "an array length is a whole number from 0, not number -1",
                    "java.array('int', {1, 'two'})", "element 2 of a int[] takes int; string does not fit",
                    "java.array('int', {x = 1})", "java.array fills an array from a sequence table (keys 1 to n)",
                    "java.array('no.Such', 1)",
                    "no class no.Such (give its binary name, like \"java.util.Map$Entry\")",
                    "java.array('int')", "java.array takes a type and a length (or several), or a type and a table"
                            + " of values");
        }
    }

    @Test
    void shouldCallTheOverloadThatJavaMethodNames() {
        try (LuaState trusted = trusted()) {
            Object[] r = trusted.run("""
                    local Math = java.import("java.lang.Math")
                    local AtomicInteger = java.import("java.util.concurrent.atomic.AtomicInteger")
                    local integer = java.method(AtomicInteger, "new", "int")(100)
                    local compareAndSet = java.method(integer, "compareAndSet", "int, int")
                    local list = java.import("java.util.ArrayList").new()
                    java.method(list, "add", "java.lang.Object")("b")
                    java.method(list, "add", "int,java.lang.Object")(0, "a")
                    return java.method(Math, "max", "double,double")(1, 2.5), java.method(Math, "abs", "int")(-3),
                           compareAndSet(100, 200), compareAndSet(100, 300), integer:get(), tostring(list),
                           java.method(list, "size")()
                    """, "chunk");
            assertArrayEquals(new Object[] {2.5, 3L, true, false, 200L, "[a, b]", 2L}, r);
            String threw = "chunk:1: Java function 'java.method' threw java.lang.IllegalArgumentException: ";
            assertEquals(threw + "no overload of java.lang.Math.max has the parameters (java.lang.String); it has"
                    + " max(double, double), max(float, float), max(int, int), max(long, long)",
                    failure(trusted, "java.method(java.import('java.lang.Math'), 'max', 'java.lang.String')"));
            assertEquals(threw + "no overload of java.lang.Math.max takes (number 1.5, number 2); it has"
                    + " max(int, int)", failure(trusted, "java.method(java.import('java.lang.Math'), 'max',"
                    + " 'int,int')(1.5, 2)"));
            assertEquals(threw + "no method 'nope' on java.lang.Math",
                    failure(trusted, "java.method(java.import('java.lang.Math'), 'nope')"));
            assertEquals(threw + "java.method takes an imported class or an object, a method name (\"new\" for a"
                    + " constructor) and its parameter types, like \"int,java.lang.String\"",
                    failure(trusted, "java.method(nil, 'max')"));
        }
    }

    @Test
    void shouldImportAPackageAndConstructByCallingAClassOrWithJavaNew() {
        try (LuaState trusted = trusted()) {
            Object[] r = trusted.run("""
                    local util = java.import("java.util.*")
                    local list = util.ArrayList()                 -- calling a class constructs
                    list:add(java.new(util.ArrayList, 4):size())   -- java.new(cls, args...)
                    list:add(java.new(list:getClass()):size())     -- and given a java.lang.Class
                    local sb = java.import("java.lang.*").StringBuilder("ab")
                    return tostring(list), rawget(util, "ArrayList") == util.ArrayList, tostring(sb:reverse()),
                           util.ArrayList.class:getSimpleName(), util.ArrayList.class == list:getClass(),
                           getmetatable(util)
                    """, "chunk");
            assertArrayEquals(new Object[] {"[0, 0]", true, "ba", "ArrayList", true, "java package java.util"}, r);
            assertFailures(trusted, "chunk:1: ",
                    "local c = java.import('java.util.*').Nope",
                    "Java function 'java.import' threw java.lang.IllegalArgumentException: no class java.util.Nope"
                            + " (give its binary name, like \"java.util.Map$Entry\")",
                    "local c = java.import('java.util.*')[1]",
                    "bad argument #1 to 'java.import' (a class name of package java.util expected, got number)",
                    "local o = java.import('java.util.List')()", "java.util.List has no public constructor",
                    "local o = java.new(java.import('java.lang.Math'))", "java.lang.Math has no public constructor",
                    "local o = java.new('java.lang.String')",
                    "Java function 'java.new' threw java.lang.IllegalArgumentException: java.new takes an imported"
                            + " class or a java.lang.Class, then the constructor's arguments; not string",
                    "local o = java.import('java.lang.Integer')('x')",
                    "Java function 'java.lang.Integer.new' threw java.lang.NumberFormatException: For input"
                            + " string: \"x\"");
        }
    }

    @Test
    void shouldNotCrashWhenTheDebugLibraryCallsTheFieldAndElementFunctions() {
        try (LuaState trusted = trusted()) {
            Object[] r = trusted.run("""
                    local f, a = ..., java.array("int", 1)
                    local mt, amt = debug.getmetatable(f), debug.getmetatable(a)
                    local ok = {}
                    ok[1] = mt[6].x()                  -- the raw getter, without an object
                    ok[2] = mt[6].x("not a Fields")    -- of another object
                    ok[3] = mt[7].x(a, 1)              -- the raw setter, on an array
                    ok[4] = amt[8][1](f, 1)            -- an element of what is not an array
                    ok[5] = amt[8][2](nil, 1, 2)
                    ok[6] = amt[8][3]("s")
                    ok[7] = pcall(mt.__index, 5, "x")  -- state.lua's get_member on a number
                    ok[8] = pcall(mt.__newindex, a, "x", 1)
                    f.x = 4 a[1] = 5
                    return ok, f.x, a[1]
                    """, "chunk", new Fields());
            assertEquals(java.util.Collections.nCopies(8, false), ((LuaTable) r[0]).toList());
            assertEquals(List.of(4L, 5L), List.of(r[1], r[2]));
        }
    }

    @Test
    void shouldLuaifyJavaCollectionsAndArrays() {
        try (LuaState trusted = trusted()) {
            Object plain = new Object();
            Object[] r = trusted.run("""
                    local plain = ...
                    local list = java.import("java.util.List").of(1, 2, 3)
                    local map = java.import("java.util.Map").of("k", "v")
                    local t, m, a = java.luaify(list), java.luaify(map), java.luaify(java.array("int", {4, 5}))
                    return type(list), type(t), #t, t[3], type(m), m.k, type(a), a[2], java.luaify(plain) == plain,
                           java.luaify("s"), java.luaify(nil)
                    """, "chunk", plain);
            assertArrayEquals(new Object[] {"userdata", "table", 3L, 3L, "table", "v", "table", 5L, true, "s", null},
                    r);
        }
    }
}
