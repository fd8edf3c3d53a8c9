package dev.ljasync.internal.signature;

import java.io.Serial;

/** A C signature that cannot be used: names the offending token and its 0-based position. */
public final class SignatureException extends IllegalArgumentException {

    @Serial
    private static final long serialVersionUID = 1L;

    private final int position;
    private final String token;

    SignatureException(String input, String reason, String token, int position) {
        super("bad C signature \"" + printable(input, 80) + "\": " + reason + " '" + printable(token, 40)
                + "' at position " + position);
        this.position = position;
        this.token = token;
    }

    /** The 0-based index into the input where the bad token starts; the input's length at its end. */
    public int position() {
        return position;
    }

    /** The offending token's text, {@code "end of input"} at the end. */
    public String token() {
        return token;
    }

    // Cut to about max characters, with control characters and surrogates escaped so the message stays one line.
    private static String printable(String s, int max) {
        boolean cut = s.length() > max;
        StringBuilder b = new StringBuilder();
        for (char c : (cut ? s.substring(0, max - 3) : s).toCharArray()) {
            if (c < 0x20 || (c >= 0x7f && c < 0xa0) || Character.isSurrogate(c)) {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        return cut ? b.append("...").toString() : b.toString();
    }
}
