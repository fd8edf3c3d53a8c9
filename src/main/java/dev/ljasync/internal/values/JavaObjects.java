package dev.ljasync.internal.values;

import dev.ljasync.internal.lua.SlotTable;
import dev.ljasync.internal.lua.StateLifetime;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToIntFunction;

import static dev.ljasync.internal.lua.LuaNative.*;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The Java objects of one state as Lua values: each pushed object is a full userdata of 8 bytes holding its number in
 * a {@link SlotTable}, released by the userdata's {@code __gc}, so an object lives in the table exactly as long as
 * its userdata lives in Lua. The userdata's metatable is one per exposed class (made here, from objects.lua's
 * {@code object_mt}), and hidden from Lua code by {@code __metatable} (a name unique to it); its methods, and in a
 * state with Java classes its fields and an array's elements, are Java functions of the state ({@link MemberCalls},
 * over {@link JavaMembers}, {@link JavaFields} and {@link JavaArrays}), raised by objects.lua's wrappers as any Java
 * function's errors are; the global {@code java} is {@link JavaLibrary}'s. A userdata is taken for one of these
 * only when its metatable is exactly one of them and its block is 8 bytes. Used only by the thread holding the state.
 */
public final class JavaObjects {

    /** A Java function of the state: its arguments converted, its results as a Java function returns them. */
    @FunctionalInterface
    public interface Function {
        Object call(Object[] args) throws Exception;
    }

    /** Pushes a C closure running a Java function of the state (JavaFunctions' one upcall stub). */
    @FunctionalInterface
    public interface Closures {
        void push(MemorySegment L, String name, Function function);
    }

    /** What {@link #object} gives for a value that is not one of these userdata. */
    public static final Object NOT_AN_OBJECT = new Object();

    private static final int BLOCK = Long.BYTES;
    // the fields of a metatable, as objects.lua numbers them
    private static final int CLASS = 1, NAME = 2, RAW = 3, STATIC = 4, METHODS = 5, GETTERS = 6, SETTERS = 7,
            ARRAY = 8;
    private static final String[] FIELDS = {"__newindex", "__len", "__tostring", "__eq"};

    private enum Kind { OPAQUE, INSTANCE, STATIC }

    /** How an object is seen from Lua: its class and which of its members Lua code reaches. */
    private record Exposure(Class<?> type, Kind kind) {
        /** What {@code getmetatable} gives for such an object: unique to it in a state. */
        String tag() {
            return switch (kind) {
                case OPAQUE -> type.getName() + " (opaque)";
                case INSTANCE -> type.getName();
                case STATIC -> "class " + type.getName();
            };
        }
    }

    /** A class pushed for its static members and constructors ({@code java.import}). */
    private record Statics(Class<?> type) {}

    /** An object passed as {@code JavaObject}: with the methods of {@code exposed}, or none when it is null. */
    private record Exposed(Object object, Class<?> exposed) {}

    /** A Map, List or array a method returned in a state with Java classes: it stays a Java object there. */
    record Kept(Object object) {}

    private final JavaValues values;
    private final JavaLibrary library;
    private final SlotTable<Object> slots = new SlotTable<>();
    private final Map<Exposure, Integer> classIds = new HashMap<>();
    private final List<Exposure> classes = new ArrayList<>();
    private final List<Integer> metatableRefs = new ArrayList<>();
    // set once the state is open; until then (and in a bare JavaValues) objects have no Lua value
    private Closures closures;
    private StateLifetime lifetime;
    // objects.lua's {object_mt, java, library, method, get_member}, made by objectsTable the first time it is needed
    private ToIntFunction<MemorySegment> objectsTable;
    private int objectsRef = LUA_NOREF;
    private boolean javaClasses;
    private MemorySegment collect; // the __gc of every metatable here, made with the first one

    JavaObjects(JavaValues values) {
        this.values = values;
        this.library = new JavaLibrary(values);
    }

    /**
     * Lets this state push Java objects: {@code objectsTable} runs objects.lua, the Lua side of them, the first time
     * a state needs it, and returns the registry reference of the table it returns; {@code javaClasses}
     * whether Lua code reaches public classes ({@code java.import}) and every object's public methods. Called once,
     * as the state is opened.
     */
    public void attach(Closures closures, StateLifetime lifetime, ToIntFunction<MemorySegment> objectsTable,
                       boolean javaClasses) {
        this.closures = closures;
        this.lifetime = lifetime;
        this.objectsTable = objectsTable;
        this.javaClasses = javaClasses;
    }

    /** Sets the global {@code java} (objects.lua's library, {@link JavaLibrary}); for a state with java classes. */
    public void openJavaLibrary(MemorySegment L) {
        boolean paused = gcPause(L);
        try {
            lua_checkstack(L, 6);
            install(L);
            lua_rawgeti(L, LUA_REGISTRYINDEX, objectsRef);
            lua_rawgeti(L, -1, 3);
            lua_setglobal(L, "java");
            lua_pop(L, 1);
        } finally {
            gcResume(L, paused);
        }
    }

    /**
     * What stands in for a {@code JavaObject} when it is pushed: {@code object} with the public methods of
     * {@code exposed}, or with none when {@code exposed} is null.
     */
    public static Object exposed(Object object, Class<?> exposed) {
        return new Exposed(object, exposed);
    }

    /** How many objects the state's userdata hold now. */
    public int held() {
        return slots.size();
    }

    /**
     * Pushes {@code value} as a Java object userdata: one from {@link #exposed} as it says, any other object without
     * methods (with its public methods in a state with java classes). The caller paused the collector.
     *
     * @throws IllegalArgumentException before the state is open, naming the value's class
     */
    void push(MemorySegment L, Object value) {
        if (closures == null) {
            throw new IllegalArgumentException("a " + value.getClass().getName() + " has no Lua value here");
        }
        Object object;
        Exposure exposure;
        switch (value) {
            case Exposed e -> {
                object = e.object();
                exposure = e.exposed() == null ? new Exposure(object.getClass(), Kind.OPAQUE)
                        : new Exposure(e.exposed(), Kind.INSTANCE);
            }
            case Statics s -> {
                object = s.type();
                exposure = new Exposure(s.type(), Kind.STATIC);
            }
            case Kept k -> {
                object = k.object();
                exposure = new Exposure(object.getClass(), Kind.INSTANCE);
            }
            default -> {
                object = value;
                exposure = new Exposure(value.getClass(), javaClasses ? Kind.INSTANCE : Kind.OPAQUE);
            }
        }
        int metatable = metatable(L, exposure);
        if (!lua_checkstack(L, 2)) { // the userdata, and its metatable for a moment
            throw new IllegalArgumentException("the Lua stack is full");
        }
        MemorySegment block = lua_newuserdata(L, BLOCK);
        block.set(JAVA_LONG, 0, slots.add(object));
        lua_rawgeti(L, LUA_REGISTRYINDEX, metatable);
        lua_setmetatable(L, -2);
    }

    /**
     * The object of the userdata at {@code idx}, or {@link #NOT_AN_OBJECT} when it is not one of these.
     *
     * @throws IllegalArgumentException when the stack has no room to look, or for a userdata whose {@code __gc}
     *                                  already ran (a finalizer of another object can still reach it)
     */
    public Object object(MemorySegment L, int idx) {
        MemorySegment block = block(L, idx);
        if (block == null) {
            return NOT_AN_OBJECT;
        }
        Object object = slots.get(block.get(JAVA_LONG, 0));
        if (object == null) {
            throw new IllegalArgumentException("a Java object that was already released (its userdata was collected"
                    + " and finalized) has no Java value");
        }
        return object;
    }

    /** The block of the userdata at {@code idx} when it is one of these, else null. */
    private MemorySegment block(MemorySegment L, int idx) {
        if (classes.isEmpty() || lua_type(L, idx) != LUA_TUSERDATA || lua_objlen(L, idx) != BLOCK) {
            return null;
        }
        int top = lua_gettop(L);
        int at = idx < 0 && idx > LUA_REGISTRYINDEX ? top + idx + 1 : idx;
        if (!lua_checkstack(L, 2)) {
            throw new IllegalArgumentException("the Lua stack is full");
        }
        if (!lua_getmetatable(L, at)) {
            return null;
        }
        boolean ours = false;
        lua_rawgeti(L, -1, CLASS);
        if (lua_type(L, -1) == LUA_TNUMBER) {
            long id = lua_tointeger(L, -1);
            if (id >= 0 && id < metatableRefs.size()) {
                lua_rawgeti(L, LUA_REGISTRYINDEX, metatableRefs.get((int) id));
                ours = lua_rawequal(L, -1, -3);
            }
        }
        lua_settop(L, top);
        return ours ? lua_touserdata(L, at).reinterpret(BLOCK) : null;
    }

    /** The __gc of the userdata: an upcall, so it never throws. Lets the object go. */
    private int collect(MemorySegment L) {
        try {
            MemorySegment block = block(L, 1);
            if (block != null) {
                slots.remove(block.get(JAVA_LONG, 0));
                block.set(JAVA_LONG, 0, -1); // a finalizer that reaches the userdata after this finds no object
            }
        } catch (Throwable t) {
            // nothing to report, and nothing left to do
        }
        return 0;
    }

    /** The registry reference of the metatable for {@code exposure}, made the first time. */
    private int metatable(MemorySegment L, Exposure exposure) {
        Integer known = classIds.get(exposure);
        if (known != null) {
            return metatableRefs.get(known);
        }
        if (!lua_checkstack(L, 8)) {
            throw new IllegalArgumentException("the Lua stack is full");
        }
        if (collect == null) {
            install(L);
        }
        int id = classes.size();
        lua_newtable(L);
        lua_rawgeti(L, LUA_REGISTRYINDEX, objectsRef);
        lua_rawgeti(L, -1, 1);
        for (String field : FIELDS) { // objects.lua's object_mt and the mt have no metatables: raw reads and writes
            lua_getfield(L, -1, field);
            lua_setfield(L, -4, field);
        }
        lua_pop(L, 1);
        values.push(L, exposure.tag());
        lua_setfield(L, -3, "__metatable");
        // __index: the methods made so far, and a metatable {__index = objects.lua's method, [1] = mt} for the others
        lua_newtable(L);
        lua_newtable(L);
        lua_rawgeti(L, -3, 4);
        lua_setfield(L, -2, "__index");
        lua_pushvalue(L, -4);
        lua_rawseti(L, -2, 1);
        lua_setmetatable(L, -2);
        lua_pushvalue(L, -1);
        lua_rawseti(L, -4, METHODS);
        lua_setfield(L, -3, "__index");
        lua_pop(L, 1);
        lua_pushcfunction(L, collect);
        lua_setfield(L, -2, "__gc");
        lua_pushinteger(L, id);
        lua_rawseti(L, -2, CLASS);
        Class<?> type = exposure.type();
        values.push(L, type.isArray() ? type.getTypeName() : type.getName()); // int[], not [I
        lua_rawseti(L, -2, NAME);
        lua_newtable(L);
        if (exposure.kind() != Kind.OPAQUE) {
            boolean statics = exposure.kind() == Kind.STATIC;
            JavaMembers members = JavaMembers.of(exposure.type());
            for (String name : members.names(statics)) {
                closures.push(L, exposure.type().getName() + "." + name, MemberCalls.method(members, name, statics,
                        javaClasses));
                lua_setfield(L, -2, name);
            }
        }
        lua_rawseti(L, -2, RAW);
        if (exposure.kind() == Kind.STATIC) {
            lua_pushboolean(L, true);
            lua_rawseti(L, -2, STATIC);
            lua_rawgeti(L, LUA_REGISTRYINDEX, objectsRef);
            lua_rawgeti(L, -1, 6); // objects.lua's construct: cls(...) is cls.new(...)
            lua_setfield(L, -3, "__call");
            lua_pop(L, 1);
        }
        if (javaClasses && exposure.kind() != Kind.OPAQUE) {
            fieldsAndElements(L, exposure.type(), exposure.kind() == Kind.STATIC);
        }
        int ref = registryRef(L);
        classes.add(exposure);
        metatableRefs.add(ref);
        classIds.put(exposure, id);
        if (exposure.kind() == Kind.STATIC) {
            // The class's constants wait in the table that `Class.name` finds methods in; pushed once the class has
            // its number, since a constant may be an object whose class needs a metatable too (Integer.TYPE).
            lua_rawgeti(L, LUA_REGISTRYINDEX, ref);
            lua_rawgeti(L, -1, METHODS);
            for (var constant : JavaMembers.of(exposure.type()).constants().entrySet()) {
                values.push(L, constant.getValue());
                lua_setfield(L, -2, constant.getKey());
            }
            values.push(L, exposure.type()); // cls.class, the java.lang.Class ("class" names no member of Java's)
            lua_setfield(L, -2, "class");
            lua_pop(L, 2);
        }
        return ref;
    }

    /**
     * Gives the metatable at the top its fields' Java functions (a getter for those read live, a setter for each)
     * and, for an array's class, its elements' ones; with either read live, its __index is objects.lua's
     * {@code get_member}.
     */
    private void fieldsAndElements(MemorySegment L, Class<?> type, boolean statics) {
        JavaFields fields = JavaFields.of(type);
        Map<String, Boolean> names = fields.names(statics);
        boolean array = !statics && type.isArray();
        if (names.isEmpty() && !array) {
            return;
        }
        if (!lua_checkstack(L, 6)) {
            throw new IllegalArgumentException("the Lua stack is full");
        }
        lua_newtable(L);
        lua_newtable(L);
        for (var entry : names.entrySet()) {
            JavaFields.Bound field = fields.field(entry.getKey(), statics);
            String what = type.getName() + "." + entry.getKey();
            if (entry.getValue()) {
                closures.push(L, what, MemberCalls.getter(field));
                lua_setfield(L, -3, entry.getKey());
            }
            closures.push(L, what, MemberCalls.setter(field));
            lua_setfield(L, -2, entry.getKey());
        }
        lua_rawseti(L, -3, SETTERS);
        lua_rawseti(L, -2, GETTERS);
        if (array) {
            String what = type.getTypeName();
            lua_newtable(L);
            closures.push(L, what, MemberCalls::element);
            lua_rawseti(L, -2, 1);
            closures.push(L, what, MemberCalls::store);
            lua_rawseti(L, -2, 2);
            closures.push(L, what, MemberCalls::length);
            lua_rawseti(L, -2, 3);
            lua_rawseti(L, -2, ARRAY);
        }
        if (array || names.containsValue(true)) {
            lua_rawgeti(L, LUA_REGISTRYINDEX, objectsRef);
            lua_rawgeti(L, -1, 5);
            lua_setfield(L, -3, "__index");
            lua_pop(L, 1);
        }
    }

    /** Runs objects.lua, gives its metamethods their Java functions, and makes the __gc; once. */
    private void install(MemorySegment L) {
        if (collect != null) {
            return;
        }
        if (objectsRef == LUA_NOREF) {
            objectsRef = objectsTable.applyAsInt(L);
        }
        lua_rawgeti(L, LUA_REGISTRYINDEX, objectsRef);
        lua_rawgeti(L, -1, 2);
        closures.push(L, "tostring", this::describe);
        lua_setfield(L, -2, "describe");
        closures.push(L, "==", args -> args[0] == args[1]);
        lua_setfield(L, -2, "same");
        if (javaClasses) {
            closures.push(L, "java.import", args -> new Statics(JavaLibrary.importClass(args)));
            lua_setfield(L, -2, "import");
            closures.push(L, "java.new", args -> new Statics(JavaLibrary.constructed(args)));
            lua_setfield(L, -2, "new");
            closures.push(L, "java.proxy", library::proxy);
            lua_setfield(L, -2, "proxy");
            closures.push(L, "java.array", JavaLibrary::array);
            lua_setfield(L, -2, "array");
            closures.push(L, "java.method", JavaLibrary::method);
            lua_setfield(L, -2, "method");
            closures.push(L, "java.method", JavaLibrary::invoke);
            lua_setfield(L, -2, "invoke");
            closures.push(L, "java.luaify", JavaLibrary::luaify);
            lua_setfield(L, -2, "luaify");
        }
        lua_pop(L, 2);
        collect = lifetime.cfunction(this, JavaObjects::collect);
    }

    /** {@code tostring} of an object: (the number of its class here, the object). */
    private Object describe(Object[] args) {
        Exposure exposure = classes.get(((Long) args[0]).intValue());
        Object object = args[1];
        return switch (exposure.kind()) {
            case OPAQUE -> object.getClass().getName() + "@" + Integer.toHexString(System.identityHashCode(object));
            case INSTANCE -> String.valueOf(object);
            case STATIC -> "class " + exposure.type().getName();
        };
    }
}
