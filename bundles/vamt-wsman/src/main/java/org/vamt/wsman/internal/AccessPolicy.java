package org.vamt.wsman.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import org.vamt.security.AmtRealm;

/**
 * Which AMT realm an operation needs, from {@code amt-realms.properties}: AMT users hold realms
 * (hardware asset, remote control…) and every class belongs to one. Kept in the front end so
 * providers never deal with authorization.
 */
final class AccessPolicy {
    /** Any authenticated user. */
    static final int ANYONE = 0;

    private record Rule(int read, int write) {
    }

    private final Map<String, Rule> classes = new ConcurrentHashMap<>();
    private final Map<String, Integer> methods = new ConcurrentHashMap<>();

    private AccessPolicy() {
    }

    static AccessPolicy load() {
        Properties p = new Properties();
        try (InputStream in = AccessPolicy.class.getResourceAsStream("amt-realms.properties")) {
            p.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        AccessPolicy policy = new AccessPolicy();
        for (String key : p.stringPropertyNames()) {
            String[] v = p.getProperty(key).split(",");
            String k = key.toLowerCase(Locale.ROOT);
            if (key.contains(".")) {
                policy.methods.put(k, realm(v[0]));
            } else {
                int read = realm(v[0]);
                int write = v.length > 1 ? realm(v[1]) : (read == ANYONE ? AmtRealm.PT_ADMINISTRATION : read);
                policy.classes.put(k, new Rule(read, write));
            }
        }
        return policy;
    }

    private static int realm(String s) {
        String t = s.trim();
        return "*".equals(t) ? ANYONE : Integer.parseInt(t);
    }

    /** The realm a Get or Enumerate of {@code className} needs. */
    int readRealm(String className) {
        return rule(className).read();
    }

    /** The realm a Put, Create or Delete needs, or a method call when {@code method} is not null. */
    int writeRealm(String className, String method) {
        if (method != null) {
            Integer m = methods.get((className + "." + method).toLowerCase(Locale.ROOT));
            if (m != null) {
                return m;
            }
        }
        return rule(className).write();
    }

    private Rule rule(String className) {
        return classes.getOrDefault(className.toLowerCase(Locale.ROOT),
                new Rule(AmtRealm.PT_ADMINISTRATION, AmtRealm.PT_ADMINISTRATION));
    }
}
