package dev.ljasync;

import dev.ljasync.internal.signature.SignatureException;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Whatever {@link CallbackType#of(String)} accepts, LuaJIT takes: random signatures near LuaJIT's limits (keywords
 * of its C parser as struct tags, deep pointers, many parameters, nested function pointers) either are refused
 * with the token and its position, or set up a callback's Lua side. {@link LuaState#function(String, String)} runs
 * that same setup (callback.lua: the FFI types of the result and each parameter, the frame struct, the entry) in
 * one state, so most are checked through it and a sample through {@link CallbackType#create(String, Object...)}.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class CallbackTypeAgreementTest {

    private static final int SIGNATURES = 10_000;
    private static final int CREATED = 150;

    private static final List<String> TAGS = List.of("s", "node", "_t", "T1", "size_t", "int8_t", "va_list",
            "wchar_t", "int128_t", "__int8", "__int64", "__int128", "complex", "__complex__", "__cdecl", "__stdcall",
            "__fastcall", "__thiscall", "__asm__", "asm", "__attribute__", "__declspec", "__extension__", "__ptr32",
            "__ptr64", "__inline", "__signed__", "__const", "__volatile__", "__restrict", "__alignof", "_Complex",
            "enum", "sizeof", "inline", "typedef", "static", "register", "auto", "extern", "restrict", "float");

    private static final List<String> SCALARS = List.of("char", "signed char", "unsigned char", "short",
            "unsigned short", "int", "unsigned", "long", "unsigned long", "long long", "unsigned long long", "float",
            "double", "bool", "_Bool", "int8_t", "uint8_t", "int16_t", "uint16_t", "int32_t", "uint32_t", "int64_t",
            "uint64_t", "size_t", "ssize_t", "intptr_t", "uintptr_t", "ptrdiff_t", "const int", "volatile double");

    @Test
    void shouldAcceptOnlySignaturesThatLuaJitTakes() {
        long seed = System.nanoTime();
        Random random = new Random(seed);
        int accepted = 0, refused = 0, created = 0;
        LuaState lua = newState();
        try {
            for (int i = 0; i < SIGNATURES; i++) {
                String signature = signature(random, 0);
                String where = "seed " + seed + ", signature " + signature;
                CallbackType type;
                try {
                    type = CallbackType.of(signature);
                } catch (SignatureException e) {
                    assertTrue(e.position() >= 0 && e.position() <= signature.length(), where + ": " + e.getMessage());
                    assertFalse(e.token().isEmpty(), where + ": " + e.getMessage());
                    refused++;
                    continue;
                } catch (RuntimeException e) {
                    fail(where + ": refused without a token and position: " + e, e);
                    return;
                }
                accepted++;
                if (accepted % 400 == 0) {
                    lua.close(); // a fresh FFI type table now and then: 10,000 signatures make many types
                    lua = newState();
                }
                try {
                    lua.function("f", signature);
                } catch (RuntimeException e) {
                    fail(where + ": CallbackType.of accepted it, LuaJIT did not: " + e.getMessage(), e);
                }
                if (created < CREATED && random.nextInt(40) == 0) {
                    created++;
                    try (Callback cb = type.create("return function(...) end")) {
                        assertNotEquals(0, cb.funcptr().address());
                    } catch (RuntimeException e) {
                        fail(where + ": CallbackType.of accepted it, create did not: " + e.getMessage(), e);
                    }
                }
            }
        } finally {
            lua.close();
        }
        assertTrue(accepted > 2_000 && refused > 2_000, "seed " + seed + ": accepted " + accepted + ", refused "
                + refused + ": both sides need testing");
        assertTrue(created > 20, "seed " + seed + ": only " + created + " went through create");
    }

    @Test
    void shouldRefuseWhatLuaJitCannotTakeWithTheTokenAndPosition() {
        var tag = assertThrows(SignatureException.class, () -> CallbackType.of("void (*)(struct __cdecl *)"));
        assertEquals("__cdecl", tag.token());
        assertEquals(16, tag.position());
        assertTrue(tag.getMessage().contains("keyword"), tag.getMessage());
        String deep = "int (*)(int" + " *".repeat(65) + ")";
        var pointers = assertThrows(SignatureException.class, () -> CallbackType.of(deep));
        assertEquals("*", pointers.token());
        assertEquals(11 + 2 * 64 + 1, pointers.position());
        String many = "void (*)(" + "int, ".repeat(120) + "int)";
        var parameters = assertThrows(SignatureException.class, () -> CallbackType.of(many));
        assertEquals("int", parameters.token());
        assertEquals(9 + 5 * 120, parameters.position());
        // the limits themselves are accepted, and created
        String most = "double (*)(" + "double, ".repeat(119) + "double" + " *".repeat(64) + ")";
        try (Callback cb = CallbackType.of(most).create("return function(...) return select('#', ...) end")) {
            assertNotEquals(0, cb.funcptr().address());
        }
        try (Callback cb = CallbackType.of("void (*)(struct size_t *, union va_list *)").create("return print")) {
            assertNotEquals(0, cb.funcptr().address());
        }
        var kinds = assertThrows(SignatureException.class, () -> CallbackType.of("void (*)(struct s *, union s *)"));
        assertEquals("s", kinds.token());
        assertEquals(27, kinds.position());
    }

    // One kind per tag: a tag names one struct or union in a state, as in a C scope
    private static String tagged(String tag) {
        return (tag.length() % 2 == 0 ? "struct " : "const union ") + tag;
    }

    private static LuaState newState() {
        LuaState lua = LuaState.open();
        lua.run("function f(...) end");
        return lua;
    }

    private static String signature(Random random, int depth) {
        StringBuilder b = new StringBuilder(random.nextInt(4) == 0 ? "void" : type(random)).append(" (*");
        b.append(random.nextBoolean() ? "" : " cb").append(")(");
        int n = switch (random.nextInt(12)) {
            case 0 -> 110 + random.nextInt(20);
            case 1 -> 240 + random.nextInt(70);
            default -> random.nextInt(5);
        };
        for (int i = 0; i < n; i++) {
            b.append(i == 0 ? "" : ", ");
            if (depth < 18 && random.nextInt(depth < 2 ? 6 : 2) == 0 && n < 10) {
                b.append(signature(random, depth + 1));
            } else {
                b.append(type(random)).append(random.nextBoolean() ? "" : " p" + i);
            }
        }
        return b.append(")").toString();
    }

    private static String type(Random random) {
        int stars = switch (random.nextInt(10)) {
            case 0 -> 60 + random.nextInt(10);
            case 1 -> 95 + random.nextInt(10);
            default -> random.nextInt(3);
        };
        String base = stars > 0 && random.nextInt(3) == 0
                ? tagged(TAGS.get(random.nextInt(TAGS.size())))
                : stars > 0 && random.nextInt(4) == 0 ? "void" : SCALARS.get(random.nextInt(SCALARS.size()));
        StringBuilder b = new StringBuilder(base);
        for (int i = 0; i < stars; i++) {
            b.append(" *").append(random.nextInt(8) == 0 ? "const " : "");
        }
        return b.toString();
    }
}
