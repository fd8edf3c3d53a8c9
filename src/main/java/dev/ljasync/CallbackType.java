package dev.ljasync;

import dev.ljasync.internal.signature.CSignature;
import dev.ljasync.internal.signature.CType;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.List;
import java.util.Objects;

/**
 * The type of a {@link Callback}: a C function-pointer type, as LuaJIT's {@code ffi.typeof} takes it
 * ({@code "int(*)(const void*, const void*)"}), and the factory of callbacks of that type. Immutable and
 * thread-safe; one type serves any number of callbacks.
 *
 * <pre>{@code
 * CallbackType compare = CallbackType.of("int(*)(const void*, const void*)");
 * try (Callback cb = compare.create("""
 *         local ffi = require("ffi")
 *         return function(a, b)
 *           local x, y = ffi.cast("const int*", a)[0], ffi.cast("const int*", b)[0]
 *           return x < y and -1 or (x > y and 1 or 0)
 *         end""")) {
 *     MemorySegment qsortComparator = cb.funcptr();
 *     // hand it to native code, from any thread
 * }
 * }</pre>
 *
 * <h2>Types</h2>
 * The result and parameters may be {@code void} (result only), {@code bool}/{@code _Bool}, {@code char},
 * {@code signed}/{@code unsigned} {@code char}/{@code short}/{@code int}/{@code long}/{@code long long},
 * {@code int8_t}..{@code uint64_t}, {@code size_t}, {@code ssize_t}, {@code intptr_t}, {@code uintptr_t},
 * {@code ptrdiff_t}, {@code float}, {@code double}, and any pointer (to these, to {@code void}, to a
 * {@code struct}/{@code union} by name, or to a function), each with {@code const}/{@code volatile} where C allows
 * them. Structs and unions by value, arrays, varargs, {@code long double} and unknown type names are refused with an
 * {@link IllegalArgumentException} that names the token and its position; so is what LuaJIT's FFI cannot take: more
 * than 120 parameters, more than 64 {@code *}s in one type, function pointers nested more than 16 deep, a struct or
 * union tag that LuaJIT's C parser reads as a keyword ({@code __cdecl}, {@code complex}, {@code __int64},
 * {@code __asm__}, ...), and one tag used for both a struct and a union. A type that {@code of} accepts,
 * {@link #create(String, Object...)} accepts.
 *
 * <h2>Values</h2>
 * Values cross exactly as they do for LuaJIT's own FFI callbacks, because the FFI itself converts them: the
 * arguments are read, and the result written, through a C struct of the declared types. So in Lua, integers of up
 * to 32 bits, {@code float} and {@code double} arrive as numbers; 64-bit integers ({@code long}, {@code size_t},
 * {@code int64_t}, ...) as {@code int64_t}/{@code uint64_t} cdata, which keep every bit; {@code bool} as a boolean;
 * pointers as cdata pointers of the declared type (which {@code ffi.cast} and {@code ffi.string} accept). The
 * function's first result converts back by the FFI's rules: numbers, booleans for {@code bool}, {@code nil}, light
 * userdata, cdata pointers or a string ({@code const char*}: the string must stay referenced in Lua while native
 * code uses it) for pointers, 64-bit cdata for integers. A result that does not convert (a string for an
 * {@code int}, nil for a number) is an error in the callback, handled as any other.
 */
public final class CallbackType {

    private final CSignature signature;
    private final FunctionDescriptor descriptor;
    private final Frame frame;
    // (CallbackStates, parameters...) -> result: the body of every callback's upcall stub, bound to its states
    private final MethodHandle upcall;

    private CallbackType(CSignature signature) {
        this.signature = signature;
        this.descriptor = signature.descriptor();
        this.frame = new Frame(signature);
        this.upcall = frame.upcall(descriptor.toMethodType());
    }

    /**
     * The type of a C function-pointer type string, such as {@code "int(*)(const void*, const void*)"} or
     * {@code "void (*on_event)(int code, const char *text)"}.
     *
     * @param signature the C type, in C syntax; parameter names and a name for the pointer are allowed
     * @return the type
     * @throws IllegalArgumentException naming the offending token and its position when the string is not a
     *                                  function-pointer type of the supported types
     */
    public static CallbackType of(String signature) {
        return new CallbackType(CSignature.parse(Objects.requireNonNull(signature, "signature")));
    }

    /**
     * The type of a Panama function descriptor: {@code JAVA_INT} is {@code int32_t}, {@code JAVA_LONG}
     * {@code int64_t}, {@code JAVA_CHAR} {@code uint16_t}, {@code JAVA_BOOLEAN} {@code bool}, an address
     * {@code void*}, and so on.
     *
     * @param descriptor the function descriptor
     * @return the type
     * @throws IllegalArgumentException for struct, union, sequence or padding layouts
     */
    public static CallbackType of(FunctionDescriptor descriptor) {
        return new CallbackType(CSignature.of(Objects.requireNonNull(descriptor, "descriptor")));
    }

    /**
     * The function descriptor that native code calls a callback of this type with.
     *
     * @return the descriptor
     */
    public FunctionDescriptor descriptor() {
        return descriptor;
    }

    /**
     * Creates a callback with the default options; see {@link Callback.Builder#create(String, Object...)}.
     *
     * @param source   the Lua source of the chunk, which returns the function that serves calls
     * @param initArgs the chunk's {@code ...}
     * @return the new callback, open until {@link Callback#close()}
     * @throws LuaException             when the chunk does not compile or raises an error
     * @throws IllegalArgumentException when the chunk returns something other than a function, or an init arg
     *                                  has no Lua value
     */
    public Callback create(String source, Object... initArgs) {
        return builder().create(source, initArgs);
    }

    /**
     * Creates a callback from bytecode with the default options; see
     * {@link Callback.Builder#create(byte[], Object...)}.
     *
     * @param bytecode the compiled chunk, which returns the function that serves calls; copied
     * @param initArgs the chunk's {@code ...}
     * @return the new callback, open until {@link Callback#close()}
     * @throws LuaException             when the chunk does not load or raises an error
     * @throws IllegalArgumentException when the dumped function has upvalues, the chunk returns something other
     *                                  than a function, or an init arg has no Lua value
     */
    public Callback create(byte[] bytecode, Object... initArgs) {
        return builder().create(bytecode, initArgs);
    }

    /**
     * Creates a callback from a Lua function of another state, copied with its upvalues, with the default options;
     * see {@link Callback.Builder#create(LuaValue, Object...)}.
     *
     * @param function a reference to a Lua function
     * @param initArgs none for a function that serves the calls, else the arguments of an init function
     * @return the new callback, open until {@link Callback#close()}
     * @throws IllegalArgumentException when the function, or one of its upvalues, cannot be copied
     * @throws LuaException             when an init function raises an error
     */
    public Callback create(LuaValue function, Object... initArgs) {
        return builder().create(function, initArgs);
    }

    /**
     * A builder for callbacks of this type with a pool of states, a fallback result or an error handler.
     *
     * @return a new builder with the default options
     */
    public Callback.Builder builder() {
        return new Callback.Builder(this);
    }

    /** The type in C, normalized: {@code "int (*)(const void *, const void *)"}. */
    @Override
    public String toString() {
        return signature.toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CallbackType other && signature.equals(other.signature);
    }

    @Override
    public int hashCode() {
        return signature.hashCode();
    }

    CType result() {
        return signature.result();
    }

    /** The C type with the type names LuaJIT's FFI knows, for {@code ffi.typeof}. */
    String ffiName() {
        return signature.ffiName();
    }

    Frame frame() {
        return frame;
    }

    MethodHandle upcall() {
        return upcall;
    }

    /**
     * Where one call's arguments and result live while Lua runs: a C struct {@code {R r; A1 a1; A2 a2; ...}} laid out
     * by the C rules, which callback.lua declares to the FFI with the same types (and checks the offsets of).
     */
    static final class Frame {
        private static final MethodHandle ENTER, RUN, FRAME_OF;

        static {
            try {
                MethodHandles.Lookup lookup = MethodHandles.lookup();
                ENTER = lookup.findVirtual(CallbackStates.class, "enter", MethodType.methodType(CallbackStates.Slot.class));
                RUN = lookup.findVirtual(CallbackStates.class, "run",
                        MethodType.methodType(long.class, CallbackStates.Slot.class));
                FRAME_OF = lookup.findVirtual(CallbackStates.Slot.class, "frame",
                        MethodType.methodType(MemorySegment.class));
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        private final CSignature signature;
        private final long[] offsets;
        private final long size;
        private final int resultSize;

        Frame(CSignature signature) {
            this.signature = signature;
            MemoryLayout result = signature.result().layout();
            resultSize = result == null ? 0 : (int) result.byteSize();
            List<CType> parameters = signature.parameters();
            offsets = new long[parameters.size()];
            long at = resultSize;
            long align = 8;
            for (int i = 0; i < offsets.length; i++) {
                MemoryLayout layout = parameters.get(i).layout();
                at = (at + layout.byteAlignment() - 1) / layout.byteAlignment() * layout.byteAlignment();
                offsets[i] = at;
                at += layout.byteSize();
                align = Math.max(align, layout.byteAlignment());
            }
            size = Math.max(8, (at + align - 1) / align * align);
        }

        long size() {
            return size;
        }

        long alignment() {
            return 8;
        }

        /** What callback.lua is run with after the frame's address: the result's C type, then each parameter's and its offset. */
        Object[] setupArgs(MemorySegment address) {
            List<CType> parameters = signature.parameters();
            Object[] args = new Object[2 + 2 * parameters.size()];
            args[0] = address;
            args[1] = signature.result().layout() == null ? "" : signature.result().ffiName();
            for (int i = 0; i < parameters.size(); i++) {
                args[2 + 2 * i] = parameters.get(i).ffiName();
                args[3 + 2 * i] = offsets[i];
            }
            return args;
        }

        /** Reads the result the entry stored, widened to a long (the converter of {@link #upcall} narrows it back). */
        long readResult(MemorySegment frame) {
            return switch (resultSize) {
                case 0 -> 0;
                case 1 -> frame.get(java.lang.foreign.ValueLayout.JAVA_BYTE, 0);
                case 2 -> frame.get(java.lang.foreign.ValueLayout.JAVA_SHORT, 0);
                case 4 -> frame.get(java.lang.foreign.ValueLayout.JAVA_INT, 0);
                default -> frame.get(java.lang.foreign.ValueLayout.JAVA_LONG, 0);
            };
        }

        /**
         * (CallbackStates, parameters...) -> result: the body of a callback's upcall stub, made of method handles
         * so that no call allocates or boxes: claim a state ({@code CallbackStates.enter}), write each argument
         * into its frame, run Lua ({@code run}, which releases the state and returns the result as long bits),
         * narrow the bits to the result type.
         */
        MethodHandle upcall(MethodType type) {
            return invoker(type, ENTER, RUN, FRAME_OF);
        }

        /**
         * (C, parameters...) -> result for any caller of an entry: {@code enter} (C) -> S takes hold of a frame,
         * {@code frameOf} (S) -> MemorySegment finds it, the arguments are written there, and {@code run}
         * (C, S) -> long runs Lua and returns the result's bits.
         */
        MethodHandle invoker(MethodType type, MethodHandle enter, MethodHandle run, MethodHandle frameOf) {
            Class<?> context = enter.type().parameterType(0), held = enter.type().returnType();
            int n = type.parameterCount();
            // (S, C, a1..an) -> long
            MethodHandle body = MethodHandles.dropArguments(
                    MethodHandles.permuteArguments(run, MethodType.methodType(long.class, held, context), 1, 0),
                    2, type.parameterList());
            for (int i = 0; i < n; i++) {
                MethodHandle write = MethodHandles.insertArguments(
                        signature.parameters().get(i).layout().varHandle().toMethodHandle(
                                java.lang.invoke.VarHandle.AccessMode.SET), 1, offsets[i]);
                write = MethodHandles.filterArguments(write, 0, frameOf);                  // (S, ai) -> void
                write = MethodHandles.dropArguments(write, 1, type.parameterList().subList(0, i));
                write = MethodHandles.dropArguments(write, 1, context);
                write = MethodHandles.dropArguments(write, i + 3, type.parameterList().subList(i + 1, n));
                body = MethodHandles.foldArguments(body, write);
            }
            MethodHandle held0 = MethodHandles.foldArguments(body, enter);                   // (C, a...) -> long
            return MethodHandles.filterReturnValue(held0, Bits.narrow(type.returnType()));
        }
    }

    /** Results travel from the frame to the stub as long bits; one place narrows them to each carrier. */
    static final class Bits {
        private Bits() {}

        static MethodHandle narrow(Class<?> carrier) {
            try {
                MethodHandles.Lookup lookup = MethodHandles.lookup();
                if (carrier == void.class) {
                    return MethodHandles.empty(MethodType.methodType(void.class, long.class));
                }
                if (carrier == boolean.class) {
                    return lookup.findStatic(Bits.class, "toBoolean", MethodType.methodType(boolean.class, long.class));
                }
                if (carrier == float.class) {
                    return lookup.findStatic(Bits.class, "toFloat", MethodType.methodType(float.class, long.class));
                }
                if (carrier == double.class) {
                    return lookup.findStatic(Double.class, "longBitsToDouble",
                            MethodType.methodType(double.class, long.class));
                }
                if (carrier == MemorySegment.class) {
                    return lookup.findStatic(MemorySegment.class, "ofAddress",
                            MethodType.methodType(MemorySegment.class, long.class));
                }
                // byte, short, char, int, long: a narrowing primitive conversion keeps the low bits
                return MethodHandles.explicitCastArguments(MethodHandles.identity(long.class),
                        MethodType.methodType(carrier, long.class));
            } catch (ReflectiveOperationException e) {
                throw new AssertionError(e);
            }
        }

        /**
         * The bits of a Java value given as a result of C type {@code type}, as {@link #narrow} expects them.
         *
         * @throws IllegalArgumentException when the value does not fit the type
         */
        static long of(CType type, Object value) {
            String problem;
            switch (type.kind()) {
                case VOID -> {
                    if (value == null) return 0;
                    problem = "a void function has no result";
                }
                case BOOL -> {
                    if (value instanceof Boolean b) return b ? 1 : 0;
                    problem = "a bool result needs a Boolean";
                }
                case FLOAT -> {
                    if (value instanceof Number n) {
                        return type.layout().byteSize() == 4 ? Float.floatToRawIntBits(n.floatValue())
                                : Double.doubleToRawLongBits(n.doubleValue());
                    }
                    problem = "a floating-point result needs a Number";
                }
                case POINTER -> {
                    if (value == null) return 0;
                    if (value instanceof MemorySegment m && m.isNative()) return m.address();
                    problem = "a pointer result needs a native MemorySegment or null";
                }
                default -> {
                    if (value instanceof Long || value instanceof Integer || value instanceof Short
                            || value instanceof Byte) {
                        long v = ((Number) value).longValue();
                        int bits = (int) type.layout().byteSize() * 8;
                        // either reading fits: -1 is as good a fallback for an unsigned int as 0xFFFFFFFF
                        if (bits == 64 || (v >= -(1L << (bits - 1)) && v < (1L << bits))) return v;
                        problem = "it does not fit in " + bits + " bits";
                    } else {
                        problem = "an integer result needs a Long, Integer, Short or Byte";
                    }
                }
            }
            throw new IllegalArgumentException("fallback " + value + " cannot be the result of type " + type.spelling()
                    + ": " + problem);
        }

        private static boolean toBoolean(long bits) {
            return bits != 0;
        }

        private static float toFloat(long bits) {
            return Float.intBitsToFloat((int) bits);
        }
    }
}
