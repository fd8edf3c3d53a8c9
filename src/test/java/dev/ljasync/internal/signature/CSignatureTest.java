package dev.ljasync.internal.signature;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.List;
import java.util.concurrent.TimeUnit;

import dev.ljasync.internal.signature.CType.Kind;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BOOLEAN;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_CHAR;
import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CSignatureTest {

    private static final Kind CHAR_KIND = System.getProperty("os.arch").equals("aarch64") ? Kind.UNSIGNED : Kind.SIGNED;

    // --- scalar types -------------------------------------------------------------------------------------------

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            char                    | char               | char               | CHAR     | 1
            signed char             | signed char        | signed char        | SIGNED   | 1
            char signed             | signed char        | signed char        | SIGNED   | 1
            unsigned char           | unsigned char      | unsigned char      | UNSIGNED | 1
            char unsigned           | unsigned char      | unsigned char      | UNSIGNED | 1
            short                   | short              | short              | SIGNED   | 2
            short int               | short              | short              | SIGNED   | 2
            signed short            | short              | short              | SIGNED   | 2
            signed short int        | short              | short              | SIGNED   | 2
            int short signed        | short              | short              | SIGNED   | 2
            unsigned short          | unsigned short     | unsigned short     | UNSIGNED | 2
            unsigned short int      | unsigned short     | unsigned short     | UNSIGNED | 2
            short unsigned          | unsigned short     | unsigned short     | UNSIGNED | 2
            int                     | int                | int                | SIGNED   | 4
            signed                  | int                | int                | SIGNED   | 4
            signed int              | int                | int                | SIGNED   | 4
            int signed              | int                | int                | SIGNED   | 4
            unsigned                | unsigned int       | unsigned int       | UNSIGNED | 4
            unsigned int            | unsigned int       | unsigned int       | UNSIGNED | 4
            int unsigned            | unsigned int       | unsigned int       | UNSIGNED | 4
            long                    | long               | long               | SIGNED   | 8
            long int                | long               | long               | SIGNED   | 8
            signed long             | long               | long               | SIGNED   | 8
            signed long int         | long               | long               | SIGNED   | 8
            int long                | long               | long               | SIGNED   | 8
            unsigned long           | unsigned long      | unsigned long      | UNSIGNED | 8
            unsigned long int       | unsigned long      | unsigned long      | UNSIGNED | 8
            long unsigned int       | unsigned long      | unsigned long      | UNSIGNED | 8
            long long               | long long          | long long          | SIGNED   | 8
            long long int           | long long          | long long          | SIGNED   | 8
            signed long long        | long long          | long long          | SIGNED   | 8
            long int long           | long long          | long long          | SIGNED   | 8
            signed long long int    | long long          | long long          | SIGNED   | 8
            unsigned long long      | unsigned long long | unsigned long long | UNSIGNED | 8
            unsigned long long int  | unsigned long long | unsigned long long | UNSIGNED | 8
            long long unsigned      | unsigned long long | unsigned long long | UNSIGNED | 8
            long unsigned long int  | unsigned long long | unsigned long long | UNSIGNED | 8
            float                   | float              | float              | FLOAT    | 4
            double                  | double             | double             | FLOAT    | 8
            bool                    | bool               | bool               | BOOL     | 1
            _Bool                   | bool               | bool               | BOOL     | 1
            int8_t                  | int8_t             | int8_t             | SIGNED   | 1
            int16_t                 | int16_t            | int16_t            | SIGNED   | 2
            int32_t                 | int32_t            | int32_t            | SIGNED   | 4
            int64_t                 | int64_t            | int64_t            | SIGNED   | 8
            uint8_t                 | uint8_t            | uint8_t            | UNSIGNED | 1
            uint16_t                | uint16_t           | uint16_t           | UNSIGNED | 2
            uint32_t                | uint32_t           | uint32_t           | UNSIGNED | 4
            uint64_t                | uint64_t           | uint64_t           | UNSIGNED | 8
            size_t                  | size_t             | size_t             | UNSIGNED | 8
            ssize_t                 | ssize_t            | ptrdiff_t          | SIGNED   | 8
            intptr_t                | intptr_t           | intptr_t           | SIGNED   | 8
            uintptr_t               | uintptr_t          | uintptr_t          | UNSIGNED | 8
            ptrdiff_t               | ptrdiff_t          | ptrdiff_t          | SIGNED   | 8
            const int               | int                | int                | SIGNED   | 4
            int const               | int                | int                | SIGNED   | 4
            volatile const size_t   | size_t             | size_t             | UNSIGNED | 8
            const const double      | double             | double             | FLOAT    | 8
            """)
    void shouldParseEveryScalarSpelling(String text, String spelling, String ffiName, String kind, long size) {
        Kind expected = kind.equals("CHAR") ? CHAR_KIND : Kind.valueOf(kind);
        for (String signature : List.of("void(*)(" + text + ")", text + "(*)(void)", "void (*f)(" + text + " x)")) {
            CSignature s = CSignature.parse(signature);
            CType t = s.result().kind() == Kind.VOID ? s.parameters().getFirst() : s.result();
            assertEquals(new CType(spelling, ffiName, expected, t.layout()), t, signature);
            assertEquals(size, t.layout().byteSize(), signature);
            assertNull(t.layout().name().orElse(null));
        }
    }

    @Test
    void shouldUseCanonicalLayouts() {
        assertEquals(List.of(JAVA_BYTE, JAVA_SHORT, JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_FLOAT, JAVA_DOUBLE,
                        JAVA_BOOLEAN, ADDRESS, JAVA_LONG, JAVA_BYTE),
                CSignature.parse("void(*)(char, unsigned short, int, unsigned long, long long, float, double, bool,"
                        + " char *, size_t, uint8_t)").parameters().stream().map(CType::layout).toList());
    }

    @Test
    void shouldParseVoidResult() {
        CSignature s = CSignature.parse("const void (*)(int)");
        assertEquals(CType.VOID, s.result());
        assertNull(s.result().layout());
    }

    // --- pointers -----------------------------------------------------------------------------------------------

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            char *                             | char *                         | char *
            char*p                             | char *                         | char *
            const char *                       | const char *                   | const char *
            char const *                       | const char *                   | const char *
            char * const                       | char *                         | char *
            int * restrict p                   | int *                          | int *
            char * const * volatile            | char *const *                  | char *const *
            const volatile char *const volatile * | const volatile char *const volatile * | const volatile char *const volatile *
            char * restrict * const *          | char *restrict *const *        | char *restrict *const *
            void *                             | void *                         | void *
            void **                            | void **                        | void **
            const void * * *                   | const void ***                 | const void ***
            struct foo *                       | struct foo *                   | struct foo *
            const struct foo * const * p       | const struct foo *const *      | const struct foo *const *
            union u *                          | union u *                      | union u *
            struct size_t *                    | struct size_t *                | struct size_t *
            ssize_t *                          | ssize_t *                      | ptrdiff_t *
            const ssize_t **                   | const ssize_t **               | const ptrdiff_t **
            _Bool *                            | bool *                         | bool *
            unsigned *                         | unsigned int *                 | unsigned int *
            long int *                         | long *                         | long *
            """)
    void shouldParsePointers(String text, String spelling, String ffiName) {
        CSignature s = CSignature.parse("void (*)(" + text + ")");
        assertEquals(CType.pointer(spelling, ffiName), s.parameters().getFirst());
        assertEquals(Kind.POINTER, s.parameters().getFirst().kind());
        assertEquals(ADDRESS.byteSize(), s.parameters().getFirst().layout().byteSize());
    }

    @Test
    void shouldParseFunctionPointerParameters() {
        CSignature s = CSignature.parse("void (*)(int (*cmp)(const void*, const void*), ssize_t(*)(size_t, ssize_t *),"
                + " void (* const)(void), void *(*)(void *(*)(int)))");
        assertEquals(List.of("int (*)(const void *, const void *)", "ssize_t (*)(size_t, ssize_t *)",
                "void (*)(void)", "void *(*)(void *(*)(int))"), s.parameters().stream().map(CType::spelling).toList());
        assertEquals("ptrdiff_t (*)(size_t, ptrdiff_t *)", s.parameters().get(1).ffiName());
        assertTrue(s.parameters().stream().allMatch(t -> t.kind() == Kind.POINTER && t.layout().equals(ADDRESS)));
    }

    @Test
    void shouldAcceptTypedefNamesAsParameterNamesAfterAType() {
        assertEquals("void (*)(int, size_t *)", CSignature.parse("void(*)(int size_t, size_t *size_t)").toString());
    }

    // --- whole signatures ---------------------------------------------------------------------------------------

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            int(*)(const void*, const void*)                 | int (*)(const void *, const void *)
            void (*cb)(int n)                                | void (*)(int)
            double(*)(void)                                  | double (*)(void)
            void(*)()                                        | void (*)(void)
            void *(*)(void *(*)(void *), unsigned long long) | void *(*)(void *(*)(void *), unsigned long long)
            '  long\tunsigned (  *  f  ) (  char*const*v  )  ' | unsigned long (*)(char *const *)
            const char*(*)(_Bool,unsigned)                   | const char *(*)(bool, unsigned int)
            int(*const)(int)                                 | int (*)(int)
            """)
    void shouldParseAndNormalizeSignatures(String text, String normalized) {
        CSignature s = CSignature.parse(text);
        assertEquals(normalized, s.toString());
        assertEquals(s, CSignature.parse(s.toString()));
        assertEquals(s.descriptor(), CSignature.parse(s.ffiName()).descriptor());
    }

    @Test
    void shouldMapLuaJitNamesInFfiName() {
        assertEquals("ptrdiff_t (*)(ptrdiff_t *, bool)", CSignature.parse("ssize_t (*)(ssize_t *, _Bool)").ffiName());
    }

    @Test
    void shouldReturnUnmodifiableParameters() {
        CSignature s = CSignature.parse("void(*)(int)");
        assertThrows(UnsupportedOperationException.class, () -> s.parameters().add(CType.VOID));
        assertThrows(IllegalArgumentException.class, () -> new CSignature(CType.VOID, List.of(CType.VOID)));
    }

    // --- descriptors --------------------------------------------------------------------------------------------

    @Test
    void shouldBuildDescriptors() {
        assertSameShape(FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS),
                CSignature.parse("int(*)(const void*, const void*)").descriptor());
        assertSameShape(FunctionDescriptor.ofVoid(JAVA_INT), CSignature.parse("void (*cb)(int n)").descriptor());
        assertSameShape(FunctionDescriptor.of(JAVA_DOUBLE), CSignature.parse("double(*)(void)").descriptor());
        assertSameShape(FunctionDescriptor.ofVoid(), CSignature.parse("void(*)()").descriptor());
        assertSameShape(FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_LONG),
                CSignature.parse("void *(*)(void *(*)(void *), unsigned long long)").descriptor());
        assertSameShape(FunctionDescriptor.of(JAVA_BYTE, JAVA_BOOLEAN, JAVA_SHORT, JAVA_FLOAT, JAVA_LONG),
                CSignature.parse("char(*)(bool, uint16_t, float, ssize_t)").descriptor());
    }

    @Test
    void shouldBuildSignaturesFromDescriptors() {
        CSignature s = CSignature.of(FunctionDescriptor.of(JAVA_INT, JAVA_BYTE, JAVA_SHORT, JAVA_CHAR, JAVA_LONG,
                JAVA_FLOAT, JAVA_DOUBLE, JAVA_BOOLEAN, ADDRESS, ADDRESS.withTargetLayout(JAVA_INT),
                JAVA_INT.withName("x")));
        assertEquals("int32_t (*)(int8_t, int16_t, uint16_t, int64_t, float, double, bool, void *, void *, int32_t)",
                s.toString());
        assertEquals(Kind.UNSIGNED, s.parameters().get(2).kind());
        assertEquals(s, CSignature.parse(s.toString()));
        assertEquals("void (*)(void)", CSignature.of(FunctionDescriptor.ofVoid()).toString());
        assertEquals("void *(*)(double)", CSignature.of(FunctionDescriptor.of(ADDRESS, JAVA_DOUBLE)).toString());
        FunctionDescriptor d = FunctionDescriptor.of(JAVA_LONG, ADDRESS, JAVA_INT, JAVA_DOUBLE);
        assertEquals(d, CSignature.of(d).descriptor());
    }

    @Test
    void shouldRefuseUnsupportedLayoutsInDescriptors() {
        MemoryLayout struct = MemoryLayout.structLayout(JAVA_INT, JAVA_INT);
        assertRefusedLayout(FunctionDescriptor.ofVoid(JAVA_INT, struct), "parameter 1");
        assertRefusedLayout(FunctionDescriptor.of(struct, JAVA_INT), "result");
        assertRefusedLayout(FunctionDescriptor.ofVoid(MemoryLayout.unionLayout(JAVA_INT, JAVA_FLOAT)), "parameter 0");
        assertRefusedLayout(FunctionDescriptor.ofVoid(JAVA_INT, JAVA_INT, MemoryLayout.sequenceLayout(2, JAVA_INT)),
                "parameter 2");
        ByteOrder other = ByteOrder.nativeOrder() == ByteOrder.BIG_ENDIAN ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN;
        assertRefusedLayout(FunctionDescriptor.ofVoid(JAVA_INT.withOrder(other)), "parameter 0");
    }

    // --- refusals -----------------------------------------------------------------------------------------------

    @Test
    void shouldRefuseStructsAndUnionsByValue() {
        assertRefused("void(*)(struct foo)", "struct", 8);
        assertRefused("struct foo (*)(void)", "struct", 0);
        assertRefused("void(*)(int, const union u x)", "union", 19);
        assertRefused("void(*)(struct foo (*)(int))", "struct", 8);
        assertRefused("void(*)(struct *)", "*", 15);
        assertRefused("void(*)(struct int *)", "int", 15);
    }

    @Test
    void shouldRefuseEnums() {
        assertRefused("void(*)(enum e)", "enum", 8);
        assertRefused("void(*)(enum e *)", "enum", 8);
    }

    @Test
    void shouldRefuseVarargs() {
        assertRefused("int(*)(const char *, ...)", "...", 21);
        assertRefused("int(*)(...)", "...", 7);
    }

    @Test
    void shouldRefuseArrays() {
        assertRefused("void(*)(int a[4])", "[", 13);
        assertRefused("void(*)(int [])", "[", 12);
    }

    @Test
    void shouldRefuseLongDouble() {
        assertRefused("long double(*)(void)", "double", 5);
        assertRefused("void(*)(double long)", "long", 15);
    }

    @Test
    void shouldRefuseLongLongLong() {
        assertRefused("void(*)(long long long)", "long", 18);
        assertRefused("void(*)(long int long long)", "long", 22);
    }

    @Test
    void shouldRefuseConflictingSpecifiers() {
        assertRefused("void(*)(signed float)", "float", 15);
        assertRefused("void(*)(unsigned double)", "double", 17);
        assertRefused("void(*)(short char)", "char", 14);
        assertRefused("void(*)(int int)", "int", 12);
        assertRefused("void(*)(unsigned signed)", "signed", 17);
        assertRefused("void(*)(size_t unsigned)", "unsigned", 15);
        assertRefused("void(*)(char int)", "int", 13);
        assertRefused("void(*)(int void *)", "void", 12);
    }

    @Test
    void shouldRefuseUnknownTypeNames() {
        assertRefused("void(*)(FILE *)", "FILE", 8);
        assertRefused("foo(*)(void)", "foo", 0);
        assertRefused("void(*)(const foo)", "foo", 14);
    }

    @Test
    void shouldRefuseUnsupportedKeywords() {
        assertRefused("void(*)(register int)", "register", 8);
        assertRefused("static int(*)(void)", "static", 0);
        assertRefused("typedef int(*)(void)", "typedef", 0);
        assertRefused("inline void(*)(void)", "inline", 0);
        assertRefused("void(*)(int static)", "static", 12);
        assertRefused("void(*)(_Atomic int)", "_Atomic", 8);
        assertRefused("void(*)(int * auto)", "auto", 14);
    }

    @Test
    void shouldRefuseRestrictOnNonPointers() {
        assertRefused("void(*)(restrict int *)", "restrict", 8);
    }

    @Test
    void shouldRefusePlainFunctionTypes() {
        assertRefused("int(int)", "int", 4);
        assertRefused("int f(int)", "f", 4);
        assertRefused("int (f)(int)", "f", 5);
        assertRefused("int", "end of input", 3);
        assertRefused("void(*)(int f(int))", "(", 13);
    }

    @Test
    void shouldRefusePointersToFunctionPointers() {
        assertRefused("int(**)(void)", "*", 5);
        assertRefused("void(*)(int (**f)(int))", "*", 14);
    }

    @Test
    void shouldRefuseMissingParentheses() {
        assertRefused("int(*)(int", "end of input", 10);
        assertRefused("int(*(int)", "(", 5);
        assertRefused("int(*)", "end of input", 6);
        assertRefused("int(*)int", "int", 6);
        assertRefused("void(*)(int (*)(int)", "end of input", 20);
    }

    @Test
    void shouldRefuseTrailingGarbage() {
        assertRefused("int(*)(int) x", "x", 12);
        assertRefused("int(*)(int);", ";", 11);
        assertRefused("int(*)(int)(int)", "(", 11);
    }

    @Test
    void shouldRefuseEmptyInput() {
        assertRefused("", "end of input", 0);
        assertRefused(" \t\n", "end of input", 3);
        assertThrows(NullPointerException.class, () -> CSignature.parse(null));
    }

    @Test
    void shouldRefuseNonAsciiAndControlCharacters() {
        assertRefused("void(*)(int ä)", "ä", 12);
        assertRefused("void(*)(intä)", "ä", 11);
        assertRefused("void(*)(int \uD83D\uDE00)", "\uD83D\uDE00", 12);
        assertRefused("void(*)(int \uD800)", "\uD800", 12);
        assertRefused("void(*)(int\u0000)", "\u0000", 11);
        assertRefused("void(*)(int\u007f)", "\u007f", 11);
    }

    @Test
    void shouldRefuseNumbersWhereATypeIsExpected() {
        assertRefused("void(*)(42)", "42", 8);
        assertRefused("void(*)(int 3x)", "3x", 12);
        assertRefused("0(*)(void)", "0", 0);
    }

    @Test
    void shouldRefuseVoidParametersExceptAlone() {
        assertRefused("void(*)(void, int)", "void", 8);
        assertRefused("void(*)(int, void)", "void", 13);
        assertRefused("void(*)(void x)", "void", 8);
        assertRefused("void(*)(const void)", "void", 14);
        assertRefused("void(*)(void, void)", "void", 8);
    }

    @Test
    void shouldRefuseMissingTypes() {
        assertRefused("void(*)(const)", ")", 13);
        assertRefused("void(*)(const *)", "*", 14);
        assertRefused("void(*)(int,)", ")", 12);
        assertRefused("void(*)(,)", ",", 8);
        assertRefused("(*)(void)", "(", 0);
    }

    @Test
    void shouldRefuseDeepNesting() {
        assertEquals(CSignature.MAX_DEPTH, depth(CSignature.parse(nested(CSignature.MAX_DEPTH))));
        String tooDeep = nested(CSignature.MAX_DEPTH + 1);
        int open = "void(*)(".length() * (CSignature.MAX_DEPTH + 1) + "void".length();
        SignatureException e = assertRefused(tooDeep, "(", open);
        assertTrue(e.getMessage().contains("nested"), e.getMessage());
        assertRefused(nested(100_000), "(", open);
    }

    @Test
    void shouldFormatMessages() {
        SignatureException e = assertThrows(SignatureException.class, () -> CSignature.parse("void(*)(FILE *)"));
        assertEquals("bad C signature \"void(*)(FILE *)\": unknown type name 'FILE' at position 8", e.getMessage());
        String longInput = "void(*)(" + "int, ".repeat(100) + "FILE)";
        e = assertThrows(SignatureException.class, () -> CSignature.parse(longInput));
        assertTrue(e.getMessage().length() < 160, e.getMessage());
        assertTrue(e.getMessage().endsWith("unknown type name 'FILE' at position " + longInput.indexOf("FILE")));
        e = assertThrows(SignatureException.class, () -> CSignature.parse("void(*)(int\n\u0001)"));
        assertEquals("bad C signature \"void(*)(int\\u000a\\u0001)\": unexpected character '\\u0001' at position 12",
                e.getMessage());
    }

    @Test
    @Timeout(value = 5, unit = TimeUnit.SECONDS)
    void shouldParseLongInputsInLinearTime() {
        int n = 200_000;
        assertRefused("void(*)(" + "int,".repeat(n - 1) + "int)", "int", 8 + 4 * CSignature.MAX_PARAMETERS);
        assertEquals(CSignature.MAX_PARAMETERS, CSignature.parse("void(*)(" + " ".repeat(1_000_000)
                + "int,".repeat(CSignature.MAX_PARAMETERS - 1) + "int)").parameters().size());
        assertRefused("void(*)(" + " ".repeat(1_000_000) + "char" + "*".repeat(1_000_000) + ")", "*",
                8 + 1_000_000 + 4 + CSignature.MAX_POINTERS);
        assertEquals(1, CSignature.parse("void(*)(" + " ".repeat(1_000_000) + "char"
                + "*".repeat(CSignature.MAX_POINTERS) + ")").parameters().size());
        assertRefused("void(*)(" + "x".repeat(1_000_000) + ")", "x".repeat(1_000_000), 8);
        assertRefused("void(*)(" + "int x,".repeat(100) + "...)", "...", 8 + 6 * 100);
    }

    // --- helpers ------------------------------------------------------------------------------------------------

    private static SignatureException assertRefused(String input, String token, int position) {
        SignatureException e = assertThrows(SignatureException.class, () -> CSignature.parse(input));
        assertEquals(token, e.token(), e.getMessage());
        assertEquals(position, e.position(), e.getMessage());
        assertTrue(e.getMessage().startsWith("bad C signature \""), e.getMessage());
        assertTrue(e.getMessage().endsWith("' at position " + position), e.getMessage());
        return e;
    }

    private static void assertRefusedLayout(FunctionDescriptor d, String where) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CSignature.of(d));
        assertTrue(e.getMessage().contains(where), e.getMessage());
    }

    private static void assertSameShape(FunctionDescriptor expected, FunctionDescriptor actual) {
        assertEquals(expected.returnLayout().map(CSignatureTest::shape), actual.returnLayout().map(CSignatureTest::shape));
        assertEquals(expected.argumentLayouts().stream().map(CSignatureTest::shape).toList(),
                actual.argumentLayouts().stream().map(CSignatureTest::shape).toList());
    }

    private static String shape(MemoryLayout l) {
        return ((ValueLayout) l).carrier().getSimpleName() + l.byteSize();
    }

    /** "void(*)(void(*)(...void(*)(int)...))" with {@code depth} function-pointer parameters nested. */
    private static String nested(int depth) {
        return "void(*)(".repeat(depth + 1) + "int" + ")".repeat(depth + 1);
    }

    private static int depth(CSignature s) {
        int depth = 0;
        for (String t = s.parameters().getFirst().spelling(); t.startsWith("void (*)("); t = t.substring(9)) {
            depth++;
        }
        return depth;
    }
}
