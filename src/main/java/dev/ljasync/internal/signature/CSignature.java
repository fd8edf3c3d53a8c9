package dev.ljasync.internal.signature;

import java.lang.foreign.AddressLayout;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;

/**
 * A parsed C function-pointer type, such as {@code "int (*)(const void *, const void *)"}: the text LuaJIT's
 * {@code ffi.typeof} takes for a callback, restricted to scalar and pointer parameters.
 *
 * @param result     the result type, possibly {@link CType#VOID}
 * @param parameters the parameter types, never void; unmodifiable
 */
public record CSignature(CType result, List<CType> parameters) {

    /** How deeply function-pointer parameters may nest. */
    static final int MAX_DEPTH = 16;

    /**
     * The most parameters a signature may have: a method handle takes at most 255 slots (a long or double takes
     * two, and the upcall's handles add their own), and LuaJIT calls a Lua function with at most about 250
     * arguments.
     */
    public static final int MAX_PARAMETERS = 120;

    /** The most {@code *}s in one type: LuaJIT's C parser holds 100 parts of a declaration (CPARSE_MAX_DECLSTACK). */
    public static final int MAX_POINTERS = 64;

    private static final CType VOID_POINTER = CType.pointer("void *", "void *");

    /** Copies the parameters and checks that none is void. */
    public CSignature {
        Objects.requireNonNull(result, "result");
        parameters = List.copyOf(parameters);
        for (CType p : parameters) {
            if (p.kind() == CType.Kind.VOID) {
                throw new IllegalArgumentException("a parameter cannot be void");
            }
        }
    }

    /**
     * Parses a C function-pointer type such as {@code "void (*cb)(int n)"}; an empty parameter list means none.
     *
     * @throws SignatureException if the text is not a function-pointer type of scalars and pointers
     */
    public static CSignature parse(String text) {
        return new Parser(Objects.requireNonNull(text, "text")).signature();
    }

    /**
     * The signature of a Panama descriptor: Java carriers become fixed-width C types ({@code JAVA_INT} is
     * {@code int32_t}, {@code JAVA_CHAR} is {@code uint16_t}) and addresses {@code void *}.
     *
     * @throws IllegalArgumentException for a layout that is not a native-order value layout
     */
    public static CSignature of(FunctionDescriptor d) {
        CType result = d.returnLayout().map(l -> type(l, "the result")).orElse(CType.VOID);
        List<CType> parameters = new ArrayList<>();
        if (d.argumentLayouts().size() > MAX_PARAMETERS) {
            throw new IllegalArgumentException("a descriptor of " + d.argumentLayouts().size() + " parameters; a"
                    + " callback takes at most " + MAX_PARAMETERS);
        }
        for (MemoryLayout l : d.argumentLayouts()) {
            parameters.add(type(l, "parameter " + parameters.size()));
        }
        return new CSignature(result, parameters);
    }

    /** The descriptor of this signature, with the platform's canonical layouts. */
    public FunctionDescriptor descriptor() {
        MemoryLayout[] arguments = parameters.stream().map(CType::layout).toArray(MemoryLayout[]::new);
        return result.kind() == CType.Kind.VOID
                ? FunctionDescriptor.ofVoid(arguments)
                : FunctionDescriptor.of(result.layout(), arguments);
    }

    /** The normalized C text, e.g. {@code "int (*)(const void *, const void *)"}. */
    @Override
    public String toString() {
        return text(CType::spelling);
    }

    /** The C text with the type names LuaJIT's FFI knows, for {@code ffi.typeof}. */
    public String ffiName() {
        return text(CType::ffiName);
    }

    private String text(Function<CType, String> name) {
        StringBuilder b = new StringBuilder(name.apply(result));
        b.append(b.charAt(b.length() - 1) == '*' ? "(*)(" : " (*)(");
        if (parameters.isEmpty()) {
            b.append("void");
        }
        for (int i = 0; i < parameters.size(); i++) {
            b.append(i == 0 ? "" : ", ").append(name.apply(parameters.get(i)));
        }
        return b.append(')').toString();
    }

    private static CType type(MemoryLayout l, String where) {
        if (l instanceof ValueLayout v && v.order() == ByteOrder.nativeOrder()) {
            Class<?> c = v.carrier();
            String name = c == byte.class ? "int8_t" : c == short.class ? "int16_t" : c == char.class ? "uint16_t"
                    : c == int.class ? "int32_t" : c == long.class ? "int64_t" : c == float.class ? "float"
                    : c == double.class ? "double" : c == boolean.class ? "bool" : null;
            if (name != null) {
                return CType.scalar(name);
            }
            if (v instanceof AddressLayout && c == MemorySegment.class) {
                return VOID_POINTER;
            }
        }
        throw new IllegalArgumentException("unsupported layout " + l + " for " + where
                + ": only native-order value and address layouts map to C scalars");
    }

    /** A tokenizer and recursive-descent parser over one input; tokens are read on demand, left to right. */
    private static final class Parser {

        private enum Kind { NAME, NUMBER, PUNCT, OTHER, END }

        private record Token(Kind kind, String text, int position) {
            boolean is(String s) {
                return kind != Kind.OTHER && text.equals(s);
            }
        }

        /** A parsed type; {@code specifier} is its first type-specifier token, {@code qualified} for const/volatile. */
        private record Parsed(CType type, Token specifier, boolean qualified) {}

        private static final int CONST = 1, VOLATILE = 2, RESTRICT = 4;

        private static final Set<String> SUPPORTED = Set.of("const", "volatile", "restrict", "signed", "unsigned",
                "char", "short", "int", "long", "float", "double", "void", "bool", "_Bool", "struct", "union");
        // Every other C keyword (up to C23) is refused, so none can pass for a type name or a parameter name.
        private static final Set<String> UNSUPPORTED = Set.of("auto", "break", "case", "continue", "default", "do",
                "else", "enum", "extern", "for", "goto", "if", "inline", "register", "return", "sizeof", "static",
                "switch", "typedef", "while", "_Alignas", "_Alignof", "_Atomic", "_Complex", "_Generic", "_Imaginary",
                "_Noreturn", "_Static_assert", "_Thread_local", "_BitInt", "_Decimal32", "_Decimal64", "_Decimal128",
                "alignas", "alignof", "constexpr", "false", "nullptr", "static_assert", "thread_local", "true",
                "typeof", "typeof_unqual");
        // The other words LuaJIT's C parser reads as keywords (CTKWDEF in lj_ctype.c): no struct or union tag.
        private static final Set<String> LUAJIT_KEYWORDS = Set.of("__int8", "__int16", "__int32", "__int64",
                "__int128", "complex", "__complex", "__complex__", "__signed", "__signed__", "__const", "__const__",
                "__volatile", "__volatile__", "__restrict", "__restrict__", "__inline", "__inline__", "__extension__",
                "__attribute", "__attribute__", "asm", "__asm", "__asm__", "__declspec", "__cdecl", "__thiscall",
                "__fastcall", "__stdcall", "__ptr32", "__ptr64", "__alignof", "__alignof__");

        private final String input;
        private int next;
        private Token peeked;
        private final Map<String, String> tags = new HashMap<>(); // struct and union tags seen, to their kind

        Parser(String input) {
            this.input = input;
        }

        CSignature signature() {
            CType result = type().type();
            expect("(", "expected '(*)' after the result type, found");
            CSignature s = functionPointer(result, 0);
            if (peek().kind() != Kind.END) {
                throw fail(peek(), "unexpected text after the signature");
            }
            return s;
        }

        // After the '(' of "R (* name)(params)".
        private CSignature functionPointer(CType result, int depth) {
            expect("*", "expected '*' (only function pointers are supported), found");
            qualifiers();
            if (peek().is("*")) {
                throw fail(peek(), "pointers to function pointers are not supported");
            }
            if (isName(peek())) {
                take();
            }
            expect(")", "expected ')', found");
            expect("(", "expected '(' of the parameter list, found");
            return new CSignature(result, parameters(depth));
        }

        // After the '(' of a parameter list, up to and including its ')'.
        private List<CType> parameters(int depth) {
            List<CType> list = new ArrayList<>();
            if (peek().is(")")) {
                take();
                return list;
            }
            Token voidToken = null;
            while (true) {
                if (list.size() == MAX_PARAMETERS) {
                    throw fail(peek(), "more than " + MAX_PARAMETERS + " parameters:");
                }
                Parsed p = type();
                CType t = p.type();
                boolean named = false;
                if (peek().is("(")) {
                    Token open = take();
                    if (depth == MAX_DEPTH) {
                        throw fail(open, "function pointers nested deeper than " + MAX_DEPTH);
                    }
                    CSignature s = functionPointer(t, depth + 1);
                    t = CType.pointer(s.toString(), s.ffiName());
                } else if (isName(peek())) {
                    take();
                    named = true;
                }
                // C's "(void)" means no parameters; void is no parameter type otherwise.
                if (t.kind() == CType.Kind.VOID) {
                    if (!list.isEmpty() || named || p.qualified()) {
                        throw fail(p.specifier(), "void is only allowed alone, as in '(void)':");
                    }
                    voidToken = p.specifier();
                } else {
                    list.add(t);
                }
                Token separator = take();
                if (separator.is(")")) {
                    return list;
                }
                if (!separator.is(",")) {
                    throw fail(separator, "expected ',' or ')', found");
                }
                if (voidToken != null) {
                    throw fail(voidToken, "void is only allowed alone, as in '(void)':");
                }
            }
        }

        // Specifiers and qualifiers in any order, then '*'s each with their own qualifiers.
        private Parsed type() {
            int qualifiers = 0;
            String sign = null;     // "signed" or "unsigned"
            String size = null;     // "char", "short", "long" or "long long"
            boolean hasInt = false;
            String other = null;    // void, float, double, bool, a typedef name, or struct/union TAG
            Token specifier = null;
            while (true) {
                Token t = peek();
                String w = t.text();
                boolean none = sign == null && size == null && !hasInt && other == null;
                if (t.kind() != Kind.NAME || UNSUPPORTED.contains(w)) {
                    break;
                }
                if (!SUPPORTED.contains(w)) {
                    if (!none) {
                        break;      // a parameter name, even one spelled like a typedef name, as in C
                    }
                    if (!CType.isTypedefName(w)) {
                        throw fail(t, "unknown type name");
                    }
                }
                take();
                switch (w) {
                    case "const" -> qualifiers |= CONST;
                    case "volatile" -> qualifiers |= VOLATILE;
                    case "restrict" -> throw fail(t, "restrict needs a pointer:");
                    case "signed", "unsigned" -> {
                        check(t, sign == null && other == null);
                        sign = w;
                    }
                    case "int" -> {
                        check(t, !hasInt && other == null && !"char".equals(size));
                        hasInt = true;
                    }
                    case "char", "short" -> {
                        check(t, size == null && other == null && !(hasInt && w.equals("char")));
                        size = w;
                    }
                    case "long" -> {
                        if ("double".equals(other)) {
                            throw fail(t, "long double is not supported:");
                        }
                        if ("long long".equals(size)) {
                            throw fail(t, "too many longs:");
                        }
                        check(t, (size == null || size.equals("long")) && other == null);
                        size = size == null ? "long" : "long long";
                    }
                    case "double" -> {
                        if ("long".equals(size) && other == null) {
                            throw fail(t, "long double is not supported:");
                        }
                        check(t, none);
                        other = w;
                    }
                    case "struct", "union" -> {
                        check(t, none);
                        Token tag = take();
                        if (!isName(tag)) {
                            throw fail(tag, "expected a " + w + " tag name, found");
                        }
                        if (LUAJIT_KEYWORDS.contains(tag.text())) {
                            throw fail(tag, "LuaJIT's C parser reads this as a keyword, so it is no " + w + " tag:");
                        }
                        String kind = tags.putIfAbsent(tag.text(), w);
                        if (kind != null && !kind.equals(w)) {
                            throw fail(tag, "a tag names one struct or union (as in C), and this one is a " + kind
                                    + " tag already:");
                        }
                        other = w + " " + tag.text();
                    }
                    default -> {    // void, float, bool, _Bool, a typedef name
                        check(t, none);
                        other = w.equals("_Bool") ? "bool" : w;
                    }
                }
                if (specifier == null && !w.equals("const") && !w.equals("volatile")) {
                    specifier = t;
                }
            }
            if (specifier == null) {
                throw fail(peek(), "expected a type, found");
            }
            String base = other != null ? other
                    : size == null ? ("unsigned".equals(sign) ? "unsigned int" : "int")
                    : size.equals("char") ? (sign == null ? "char" : sign + " char")
                    : "unsigned".equals(sign) ? "unsigned " + size : size;

            List<Integer> levels = new ArrayList<>();
            while (peek().is("*")) {
                Token star = take();
                if (levels.size() == MAX_POINTERS) {
                    throw fail(star, "more than " + MAX_POINTERS + " levels of pointers:");
                }
                levels.add(qualifiers());
            }
            if (levels.isEmpty()) {
                if (other != null && (other.startsWith("struct ") || other.startsWith("union "))) {
                    throw fail(specifier, "passing a " + specifier.text() + " by value is not supported:");
                }
                return new Parsed(CType.scalar(base), specifier, qualifiers != 0);
            }
            CType pointee = CType.scalar(base);
            String ffiBase = pointee == null ? base : pointee.ffiName();
            return new Parsed(CType.pointer(pointer(base, qualifiers, levels), pointer(ffiBase, qualifiers, levels)),
                    specifier, qualifiers != 0);
        }

        // "const char *const *": the pointee's qualifiers first, each '*' followed by its own but the last.
        private static String pointer(String base, int qualifiers, List<Integer> levels) {
            StringBuilder b = new StringBuilder(words(qualifiers)).append(base).append(' ');
            for (int i = 0; i < levels.size(); i++) {
                b.append('*');
                if (i < levels.size() - 1 && levels.get(i) != 0) {
                    b.append(words(levels.get(i)));
                }
            }
            return b.toString();
        }

        private static String words(int qualifiers) {
            return ((qualifiers & CONST) != 0 ? "const " : "") + ((qualifiers & VOLATILE) != 0 ? "volatile " : "")
                    + ((qualifiers & RESTRICT) != 0 ? "restrict " : "");
        }

        private int qualifiers() {
            int q = 0;
            while (true) {
                Token t = peek();
                int bit = t.is("const") ? CONST : t.is("volatile") ? VOLATILE : t.is("restrict") ? RESTRICT : 0;
                if (bit == 0) {
                    return q;
                }
                take();
                q |= bit;
            }
        }

        private static boolean isName(Token t) {
            return t.kind() == Kind.NAME && !SUPPORTED.contains(t.text()) && !UNSUPPORTED.contains(t.text());
        }

        private void check(Token t, boolean allowed) {
            if (!allowed) {
                throw fail(t, "conflicting type specifier");
            }
        }

        private void expect(String s, String reason) {
            Token t = take();
            if (!t.is(s)) {
                throw fail(t, reason);
            }
        }

        // The reason is replaced when the token itself is what cannot be used anywhere.
        private SignatureException fail(Token t, String reason) {
            String why = switch (t.kind()) {
                case OTHER -> t.text().charAt(0) > 0x7f ? "non-ASCII character" : "unexpected character";
                case PUNCT -> t.is("...") ? "varargs are not supported:"
                        : t.is("[") || t.is("]") ? "arrays are not supported:" : reason;
                case NAME -> UNSUPPORTED.contains(t.text()) ? "unsupported keyword" : reason;
                default -> reason;
            };
            return new SignatureException(input, why, t.text(), t.position());
        }

        private Token peek() {
            if (peeked == null) {
                peeked = lex();
            }
            return peeked;
        }

        private Token take() {
            Token t = peek();
            peeked = null;
            return t;
        }

        private Token lex() {
            int n = input.length();
            while (next < n && " \t\n\r\f\u000b".indexOf(input.charAt(next)) >= 0) {
                next++;
            }
            int start = next;
            if (start == n) {
                return new Token(Kind.END, "end of input", n);
            }
            char c = input.charAt(start);
            Kind kind;
            if (c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
                kind = c >= '0' && c <= '9' ? Kind.NUMBER : Kind.NAME;
                while (next < n && isIdentifierPart(input.charAt(next))) {
                    next++;
                }
            } else if (input.startsWith("...", start)) {
                kind = Kind.PUNCT;
                next += 3;
            } else if ("*(),[]".indexOf(c) >= 0) {
                kind = Kind.PUNCT;
                next++;
            } else {
                kind = Kind.OTHER;
                next += Character.charCount(input.codePointAt(start));
            }
            return new Token(kind, input.substring(start, next), start);
        }

        private static boolean isIdentifierPart(char c) {
            return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9';
        }
    }
}
