package dev.hearth.server;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;

/**
 * Bearer-key check in constant time: keys are compared as SHA-256 digests (equal length whatever the key)
 * with {@link MessageDigest#isEqual}, and every configured key is compared, so timing tells nothing about
 * which key or how much of it matched.
 */
final class ApiKeys {
    private final byte[][] digests;

    ApiKeys(List<String> keys) {
        digests = new byte[keys.size()][];
        for (int i = 0; i < keys.size(); i++) digests[i] = sha256(keys.get(i));
    }

    boolean enabled() { return digests.length > 0; }

    /** Whether an {@code Authorization} header value carries one of the keys. */
    boolean accepts(String authorization) {
        if (authorization == null) return false;
        String a = authorization.trim();
        if (a.length() < 7 || !a.regionMatches(true, 0, "Bearer ", 0, 7)) return false;
        byte[] d = sha256(a.substring(7).trim());
        boolean ok = false;
        for (byte[] k : digests) ok |= MessageDigest.isEqual(k, d);
        return ok;
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
