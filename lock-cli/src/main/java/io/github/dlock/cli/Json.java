package io.github.dlock.cli;

/**
 * Just enough JSON writing for {@code dlock status --json}, without a dependency: string
 * literals escaped per RFC 8259, with everything outside printable ASCII written as
 * {@code \}{@code uXXXX} so that the output is the same bytes whatever the platform's charset.
 */
final class Json {
    private Json() {}

    /** {@code text} as a JSON string literal, quotes included; {@code null} for null. */
    static String string(String text) {
        if (text == null) return "null";
        StringBuilder sb = new StringBuilder(text.length() + 2).append('"');
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '"': sb.append("\\\""); break;
                case '\\': sb.append("\\\\"); break;
                case '\n': sb.append("\\n"); break;
                case '\r': sb.append("\\r"); break;
                case '\t': sb.append("\\t"); break;
                case '\b': sb.append("\\b"); break;
                case '\f': sb.append("\\f"); break;
                default:
                    if (c < 0x20 || c > 0x7e) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
            }
        }
        return sb.append('"').toString();
    }
}
