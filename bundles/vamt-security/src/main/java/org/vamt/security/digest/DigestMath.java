package org.vamt.security.digest;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;

/** The MD5 arithmetic of HTTP Digest (RFC 2617), and the parser of its header parameters. */
public final class DigestMath {
    private static final HexFormat HEX = HexFormat.of();
    /** One MD5 per thread: getInstance is a provider lookup on every call (two per authenticated request). */
    private static final ThreadLocal<MessageDigest> MD5 = ThreadLocal.withInitial(DigestMath::newMd5);

    private DigestMath() {
    }

    /** Lower-case hex MD5 of the UTF-8 bytes of {@code s}. */
    public static String md5Hex(String s) {
        // digest() resets the instance, so the next caller on this thread starts clean
        return HEX.formatHex(MD5.get().digest(s.getBytes(StandardCharsets.UTF_8)));
    }

    private static MessageDigest newMd5() {
        try {
            return MessageDigest.getInstance("MD5");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("MD5 is required by HTTP Digest", e);
        }
    }

    /** HA1 = MD5(user:realm:password). */
    public static String ha1(String user, String realm, String password) {
        return md5Hex(user + ":" + realm + ":" + password);
    }

    /**
     * The response a client sends and a server expects: with {@code qop} null, RFC 2069's
     * MD5(HA1:nonce:HA2); with qop, MD5(HA1:nonce:nc:cnonce:qop:HA2). HA2 = MD5(method:uri).
     */
    public static String response(String ha1, String nonce, String nc, String cnonce, String qop, String method,
                                  String uri) {
        String ha2 = md5Hex(method + ":" + uri);
        return qop == null ? md5Hex(ha1 + ":" + nonce + ":" + ha2)
                : md5Hex(ha1 + ":" + nonce + ":" + nc + ":" + cnonce + ":" + qop + ":" + ha2);
    }

    /** Compares two hex digests in constant time, case-insensitively. */
    public static boolean sameDigest(String expected, String given) {
        if (expected == null || given == null) {
            return false;
        }
        return MessageDigest.isEqual(expected.toLowerCase(Locale.ROOT).getBytes(StandardCharsets.US_ASCII),
                given.toLowerCase(Locale.ROOT).getBytes(StandardCharsets.US_ASCII));
    }

    /**
     * Parses the parameters of a {@code Digest} challenge or credentials header ({@code k=v, k="v"});
     * keys lower-case, quotes optional, commas and escaped quotes inside quotes kept. The first of
     * repeated keys wins.
     */
    public static Map<String, String> parameters(String s) {
        Map<String, String> out = new HashMap<>();
        int i = 0;
        int n = s.length();
        while (i < n) {
            while (i < n && (s.charAt(i) == ',' || Character.isWhitespace(s.charAt(i)))) {
                i++;
            }
            int eq = s.indexOf('=', i);
            if (eq < 0) {
                break;
            }
            String key = s.substring(i, eq).trim().toLowerCase(Locale.ROOT);
            i = eq + 1;
            while (i < n && Character.isWhitespace(s.charAt(i))) {
                i++;
            }
            String value;
            if (i < n && s.charAt(i) == '"') {
                // substrings, not a character at a time: this runs for every authenticated request
                int start = ++i;
                boolean escaped = false;
                while (i < n && s.charAt(i) != '"') {
                    if (s.charAt(i) == '\\' && i + 1 < n) {
                        escaped = true;
                        i++;
                    }
                    i++;
                }
                value = escaped ? unescape(s, start, Math.min(i, n)) : s.substring(start, Math.min(i, n));
                i++;
            } else {
                int comma = s.indexOf(',', i);
                int end = comma < 0 ? n : comma;
                value = s.substring(i, end);
                i = end;
            }
            out.putIfAbsent(key, value.trim());
        }
        return out;
    }

    /** A quoted value's characters from {@code start} to {@code end}, each backslash dropped before what it escapes. */
    private static String unescape(String s, int start, int end) {
        StringBuilder v = new StringBuilder(end - start);
        for (int i = start; i < end; i++) {
            if (s.charAt(i) == '\\' && i + 1 < end) {
                i++;
            }
            v.append(s.charAt(i));
        }
        return v.toString();
    }
}
