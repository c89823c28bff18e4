package io.github.dlock.internal;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * RFC 3986 percent-decoding, as URL user-info (user names, passwords) needs it: {@code %XX}
 * escapes are UTF-8 bytes and every other character stands for itself, {@code +} included
 * ({@link java.net.URLDecoder} decodes HTML form data, where {@code +} means a space, which
 * would corrupt passwords). Shared by every backend's factory. Not part of the public API.
 */
public final class PercentDecoding {
    private PercentDecoding() {}

    /**
     * Decodes {@code text}.
     *
     * @param what names the value in error messages (the value itself is never shown: it may be a password)
     * @throws IllegalArgumentException on a malformed escape or bytes that are not UTF-8
     */
    public static String decode(String text, String what) {
        Objects.requireNonNull(text, what);
        if (text.indexOf('%') < 0) return text;
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(text.length());
        StringBuilder out = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); ) {
            char c = text.charAt(i);
            if (c != '%') {
                flush(bytes, out, what);
                out.append(c);
                i++;
                continue;
            }
            int hi = i + 2 < text.length() ? Character.digit(text.charAt(i + 1), 16) : -1;
            int lo = i + 2 < text.length() ? Character.digit(text.charAt(i + 2), 16) : -1;
            if (hi < 0 || lo < 0) throw new IllegalArgumentException(what + " has a malformed %-escape at index " + i);
            bytes.write(hi << 4 | lo);
            i += 3;
        }
        flush(bytes, out, what);
        return out.toString();
    }

    private static void flush(ByteArrayOutputStream bytes, StringBuilder out, String what) {
        if (bytes.size() == 0) return;
        try {
            out.append(StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes.toByteArray())));
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException(what + " has %-escapes that are not UTF-8");
        }
        bytes.reset();
    }
}
