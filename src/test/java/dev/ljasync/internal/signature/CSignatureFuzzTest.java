package dev.ljasync.internal.signature;

import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** Random inputs: each must parse to a signature that survives its own text, or fail with a SignatureException. */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class CSignatureFuzzTest {

    private static final int PER_KIND = 4_000;

    private static final List<String> VOCABULARY = List.of(
            "void", "bool", "_Bool", "char", "short", "int", "long", "float", "double", "signed", "unsigned",
            "const", "volatile", "restrict", "struct", "union", "enum", "register", "static", "typedef",
            "int8_t", "uint16_t", "int32_t", "uint64_t", "size_t", "ssize_t", "intptr_t", "uintptr_t", "ptrdiff_t",
            "FILE", "x", "cb", "_n1", "*", "*", "*", "(", "(", ")", ")", ",", ",", "(*)", "(void)", "()", "...",
            "[", "]", "0", "42", "3x", ".", "..", ";", "{", "}", "=", "#", "\"", "'", "\\", "ä", "中", "\uD83D\uDE00",
            "\uD800", "\uDC00", "\u0000", "\u0001", "\u007f", "\u0085", "\u00a0", "\u2028", "\uFEFF", "\t", "\n");

    private static final List<String> VALID = List.of(
            "int(*)(const void*, const void*)", "void (*cb)(int n)", "double(*)(void)", "void(*)()",
            "void *(*)(void *(*)(void *), unsigned long long)", "ssize_t (*)(char const * const * p, size_t n)",
            "unsigned(*f)(struct foo *, union u **, _Bool, long int long)", "const char *(*)(int (*)(int), float)",
            "void(*)(void(*)(void(*)(int)))", "int8_t(*)(uint8_t, int16_t, uint16_t, int32_t, uint32_t, int64_t)");

    private static final List<String> TYPES = List.of(
            "char", "signed char", "unsigned char", "short", "unsigned short int", "int", "unsigned", "long",
            "long unsigned", "long long", "unsigned long long int", "float", "double", "bool", "_Bool", "int8_t",
            "uint32_t", "size_t", "ssize_t", "intptr_t", "uintptr_t", "ptrdiff_t", "const int", "int volatile");

    @Test
    void shouldParseOrRefuseCleanlyWithFixedSeed() {
        fuzz(42);
    }

    @Test
    void shouldParseOrRefuseCleanlyWithRandomSeed() {
        fuzz(System.nanoTime());
    }

    private static void fuzz(long seed) {
        Random random = new Random(seed);
        int parsed = 0;
        for (int i = 0; i < PER_KIND; i++) {
            parsed += check(soup(random), seed);
            parsed += check(mutate(random, random.nextBoolean() ? pick(random, VALID) : valid(random, 0)), seed);
            String valid = valid(random, 0);
            assertEquals(1, check(valid, seed), "seed " + seed + ", generated signature refused: " + valid);
        }
        assertTrue(parsed > 0, "seed " + seed + ": no random input parsed, so the round trip went untested");
    }

    /** Parses {@code input}, returning 1 if it parsed, 0 if it was refused properly; fails on anything else. */
    private static int check(String input, long seed) {
        String where = "seed " + seed + ", input \"" + input + "\"";
        try {
            CSignature s = CSignature.parse(input);
            String text = s.toString();
            assertEquals(s, CSignature.parse(text), where);
            assertEquals(text, CSignature.parse(text).toString(), where);
            assertEquals(s.descriptor(), CSignature.parse(s.ffiName()).descriptor(), where);
            return 1;
        } catch (SignatureException e) {
            assertTrue(e.position() >= 0 && e.position() <= input.length(), where + ": " + e.getMessage());
            assertTrue(e.getMessage().contains("position"), where + ": " + e.getMessage());
            assertTrue(e.token() != null && !e.token().isEmpty(), where + ": " + e.getMessage());
            return 0;
        } catch (Throwable t) {
            return fail(where + ": threw " + t, t);
        }
    }

    private static String soup(Random random) {
        StringBuilder b = new StringBuilder();
        for (int n = random.nextInt(16); n > 0; n--) {
            b.append(pick(random, VOCABULARY)).append(pick(random, List.of("", " ", " ", "\t", "\r\n")));
        }
        return b.toString();
    }

    private static String mutate(Random random, String valid) {
        StringBuilder b = new StringBuilder(valid);
        for (int n = 1 + random.nextInt(3); n > 0; n--) {
            int at = random.nextInt(b.length() + 1);
            switch (random.nextInt(5)) {
                case 0 -> b.insert(at, pick(random, VOCABULARY));
                case 1 -> b.insert(at, (char) random.nextInt(0x3000));
                case 2 -> b.delete(at, Math.min(b.length(), at + 1 + random.nextInt(6)));
                case 3 -> {
                    if (at < b.length()) {
                        b.setCharAt(at, " *(),_az09.[".charAt(random.nextInt(12)));
                    }
                }
                default -> b.replace(at, Math.min(b.length(), at + random.nextInt(4)), " " + pick(random, VOCABULARY));
            }
        }
        return b.toString();
    }

    /** A random valid signature, with names, qualifiers, pointers and nested function pointers. */
    private static String valid(Random random, int depth) {
        StringBuilder b = new StringBuilder(random.nextInt(4) == 0 ? "void" : type(random)).append(" (*");
        b.append(random.nextBoolean() ? "" : " f").append(")(");
        int n = random.nextInt(5);
        if (n == 0 && random.nextBoolean()) {
            b.append("void");
        }
        for (int i = 0; i < n; i++) {
            b.append(i == 0 ? "" : ", ");
            if (depth < 3 && random.nextInt(6) == 0) {
                b.append(valid(random, depth + 1));
            } else {
                b.append(type(random)).append(random.nextBoolean() ? "" : " p" + i);
            }
        }
        return b.append(")").toString();
    }

    private static String type(Random random) {
        int stars = random.nextInt(3);
        String base = stars > 0 && random.nextInt(4) == 0
                ? pick(random, List.of("void", "const void", "struct s", "const union u"))
                : pick(random, TYPES);
        StringBuilder b = new StringBuilder(base);
        for (int i = 0; i < stars; i++) {
            b.append(" *").append(pick(random, List.of("", "", "const ", "volatile ", "restrict ")));
        }
        return b.toString();
    }

    private static String pick(Random random, List<String> list) {
        return list.get(random.nextInt(list.size()));
    }
}
