package dev.ljasync.internal.signature;

import java.lang.foreign.AddressLayout;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.ValueLayout;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * One C type of a signature: a scalar, a pointer, or void (result only).
 *
 * @param spelling the type as normalized C text, top-level qualifiers dropped ({@code "unsigned long"},
 *                 {@code "const char *"}, {@code "int (*)(int)"})
 * @param ffiName  the same type spelled with names LuaJIT's FFI knows ({@code ssize_t} becomes {@code ptrdiff_t})
 * @param kind     what sort of value it is
 * @param layout   the platform's canonical layout for it, {@code null} only for {@link #VOID}
 */
public record CType(String spelling, String ffiName, Kind kind, ValueLayout layout) {

    /** The sort of value a type holds; {@code FLOAT} covers float and double (see {@code layout().byteSize()}). */
    public enum Kind { VOID, BOOL, SIGNED, UNSIGNED, FLOAT, POINTER }

    /** The void type, allowed only as a result. */
    public static final CType VOID = new CType("void", "void", Kind.VOID, null);

    private static final Map<String, MemoryLayout> CANONICAL = Linker.nativeLinker().canonicalLayouts();
    private static final ValueLayout ADDRESS =
            ((AddressLayout) CANONICAL.get("void*")).withoutTargetLayout().withoutName();
    private static final Map<String, CType> SCALARS = scalars();

    /** Checks that only void has no layout. */
    public CType {
        Objects.requireNonNull(spelling, "spelling");
        Objects.requireNonNull(ffiName, "ffiName");
        Objects.requireNonNull(kind, "kind");
        if ((layout == null) != (kind == Kind.VOID)) {
            throw new IllegalArgumentException("a " + kind + " type needs " + (layout == null ? "a" : "no") + " layout");
        }
    }

    /** The scalar type of this normalized spelling ({@code "unsigned int"}, {@code "size_t"}), or null. */
    static CType scalar(String spelling) {
        return SCALARS.get(spelling);
    }

    /** A pointer type with the given texts. */
    static CType pointer(String spelling, String ffiName) {
        return new CType(spelling, ffiName, Kind.POINTER, ADDRESS);
    }

    /** The typedef names that may be used as type specifiers. */
    static boolean isTypedefName(String name) {
        return name.endsWith("_t") && SCALARS.containsKey(name);
    }

    private static Map<String, CType> scalars() {
        Map<String, CType> m = new HashMap<>();
        put(m, "void", "void", Kind.VOID, null);
        put(m, "bool", "bool", Kind.BOOL, layout("bool"));
        put(m, "char", "char", charIsSigned() ? Kind.SIGNED : Kind.UNSIGNED, layout("char"));
        put(m, "signed char", "signed char", Kind.SIGNED, layout("char"));
        put(m, "unsigned char", "unsigned char", Kind.UNSIGNED, layout("char"));
        for (String t : List.of("short", "int", "long", "long long")) {
            put(m, t, t, Kind.SIGNED, layout(t));
            put(m, "unsigned " + t, "unsigned " + t, Kind.UNSIGNED, layout(t));
        }
        put(m, "float", "float", Kind.FLOAT, layout("float"));
        put(m, "double", "double", Kind.FLOAT, layout("double"));
        for (int bits = 8; bits <= 64; bits *= 2) {
            put(m, "int" + bits + "_t", "int" + bits + "_t", Kind.SIGNED, bySize(bits / 8));
            put(m, "uint" + bits + "_t", "uint" + bits + "_t", Kind.UNSIGNED, bySize(bits / 8));
        }
        put(m, "size_t", "size_t", Kind.UNSIGNED, layout("size_t"));
        put(m, "ssize_t", "ptrdiff_t", Kind.SIGNED, layout("size_t"));
        put(m, "ptrdiff_t", "ptrdiff_t", Kind.SIGNED, bySize(ADDRESS.byteSize()));
        put(m, "intptr_t", "intptr_t", Kind.SIGNED, bySize(ADDRESS.byteSize()));
        put(m, "uintptr_t", "uintptr_t", Kind.UNSIGNED, bySize(ADDRESS.byteSize()));
        return Map.copyOf(m);
    }

    private static void put(Map<String, CType> m, String spelling, String ffiName, Kind kind, ValueLayout layout) {
        m.put(spelling, kind == Kind.VOID ? VOID : new CType(spelling, ffiName, kind, layout));
    }

    private static ValueLayout layout(String canonicalName) {
        return ((ValueLayout) CANONICAL.get(canonicalName)).withoutName();
    }

    private static ValueLayout bySize(long bytes) {
        for (String t : List.of("char", "short", "int", "long long")) {
            if (CANONICAL.get(t).byteSize() == bytes) {
                return layout(t);
            }
        }
        throw new IllegalStateException("no C integer type of " + bytes + " bytes");
    }

    // Plain char is signed on x86 but unsigned in the ARM, POWER, s390 and RISC-V Linux ABIs.
    private static boolean charIsSigned() {
        String arch = System.getProperty("os.arch", "");
        return !Set.of("aarch64", "arm", "ppc64", "ppc64le", "s390x", "riscv64").contains(arch)
                || System.getProperty("os.name", "").startsWith("Mac");
    }
}
