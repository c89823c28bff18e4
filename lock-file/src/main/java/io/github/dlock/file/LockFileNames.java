package io.github.dlock.file;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * Maps lock names to file names that cannot leave the lock directory, on any file system.
 *
 * <p>The result uses only {@code [a-z0-9._-]}: lower-case ASCII letters, digits, {@code -}
 * and {@code .} (except in first position) stand for themselves; every other UTF-8 byte,
 * upper-case letters included, becomes {@code _} and two lower-case hex digits. So the
 * mapping is injective, never yields {@code .}, {@code ..}, a hidden file or a path
 * separator, and names differing only in case stay distinct on case-insensitive file
 * systems. Encodings longer than {@value #MAX_ENCODED} characters keep a readable prefix
 * followed by {@code _h} and 32 hex digits of the name's SHA-256; {@code _h} never occurs in
 * a plain encoding, so shortened names cannot collide with plain ones.
 */
final class LockFileNames {
    static final int MAX_ENCODED = 100;
    private static final int KEPT_PREFIX = 64;
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private LockFileNames() {}

    /** The encoded base name of {@code name}; callers add a suffix such as {@code .lock}. */
    static String encode(String name) {
        byte[] utf8 = name.getBytes(StandardCharsets.UTF_8);
        StringBuilder out = new StringBuilder(Math.min(utf8.length * 3, MAX_ENCODED + 40));
        for (int i = 0; i < utf8.length; i++) {
            int b = utf8[i] & 0xff;
            boolean plain = (b >= 'a' && b <= 'z') || (b >= '0' && b <= '9') || b == '-' || (b == '.' && i > 0);
            if (plain) {
                out.append((char) b);
            } else {
                out.append('_').append(HEX[b >>> 4]).append(HEX[b & 0xf]);
            }
            if (out.length() > MAX_ENCODED) return shorten(out, utf8);
        }
        return out.toString();
    }

    private static String shorten(StringBuilder encoded, byte[] utf8) {
        int cut = KEPT_PREFIX;
        // Do not split an escape: back up to before a '_' that starts within the last two chars.
        for (int i = Math.max(0, cut - 2); i < cut; i++) {
            if (encoded.charAt(i) == '_') {
                cut = i;
                break;
            }
        }
        StringBuilder out = new StringBuilder(cut + 34).append(encoded, 0, cut).append("_h");
        byte[] digest = sha256(utf8);
        for (int i = 0; i < 16; i++) out.append(HEX[(digest[i] >>> 4) & 0xf]).append(HEX[digest[i] & 0xf]);
        return out.toString();
    }

    private static byte[] sha256(byte[] bytes) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required on every Java platform", e);
        }
    }
}
