package org.vamt.cimom.internal;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vamt.cim.spi.CimProvider;
import org.vamt.cim.schema.CimSchema;
import org.vamt.security.AmtRealm;

/**
 * Which AMT realm an operation on a class needs, as the providers declare it in their
 * {@value CimProvider#REALM_PREFIX}* service properties. A class with no rule of its own takes its
 * nearest ancestor's; with none at all it needs PT Administration, so a class added later is
 * admin-only until its provider says otherwise.
 */
final class RealmRules {
    /** Any authenticated user. */
    static final int ANYONE = 0;
    private static final Logger LOG = LoggerFactory.getLogger(RealmRules.class);

    private record Rule(int read, int write) {
    }

    private final Map<String, Rule> classes = new ConcurrentHashMap<>();
    private final Map<String, Integer> methods = new ConcurrentHashMap<>();
    /** Which provider declared a rule, so its withdrawal withdraws the rule. */
    private final Map<String, Object> declaredBy = new ConcurrentHashMap<>();

    /** Takes the rules a provider declares; malformed ones are logged and ignored. */
    void add(Object provider, Map<String, ?> properties) {
        for (Map.Entry<String, ?> p : properties.entrySet()) {
            if (!p.getKey().startsWith(CimProvider.REALM_PREFIX)) {
                continue;
            }
            String target = p.getKey().substring(CimProvider.REALM_PREFIX.length()).toLowerCase(Locale.ROOT);
            try {
                String[] v = String.valueOf(p.getValue()).split(",");
                if (target.contains(".")) {
                    methods.put(target, realm(v[0]));
                } else {
                    int read = realm(v[0]);
                    int write = v.length > 1 ? realm(v[1]) : (read == ANYONE ? AmtRealm.PT_ADMINISTRATION : read);
                    classes.put(target, new Rule(read, write));
                }
                declaredBy.put(target, provider);
            } catch (IllegalArgumentException e) {
                LOG.warn("Ignoring realm rule {}={} of {}: {}", p.getKey(), p.getValue(), provider, e.getMessage());
            }
        }
    }

    void remove(Object provider) {
        declaredBy.entrySet().removeIf(e -> {
            if (e.getValue() != provider) {
                return false;
            }
            classes.remove(e.getKey());
            methods.remove(e.getKey());
            return true;
        });
    }

    private static int realm(String s) {
        String t = s.trim();
        if ("*".equals(t)) {
            return ANYONE;
        }
        int r = Integer.parseInt(t);
        if (r < 1) {
            throw new IllegalArgumentException("a realm is a positive number or *, got " + r);
        }
        return r;
    }

    /** The realm a Get or Enumerate of {@code className} needs. */
    int read(CimSchema schema, String className) {
        return rule(schema, className).map(Rule::read).orElse(AmtRealm.PT_ADMINISTRATION);
    }

    /** The realm a Put, Create or Delete needs, or a method call when {@code method} is not null. */
    int write(CimSchema schema, String className, String method) {
        if (method != null) {
            for (String c : lineage(schema, className)) {
                Integer m = methods.get((c + "." + method).toLowerCase(Locale.ROOT));
                if (m != null) {
                    return m;
                }
            }
        }
        return rule(schema, className).map(Rule::write).orElse(AmtRealm.PT_ADMINISTRATION);
    }

    private Optional<Rule> rule(CimSchema schema, String className) {
        for (String c : lineage(schema, className)) {
            Rule r = classes.get(c.toLowerCase(Locale.ROOT));
            if (r != null) {
                return Optional.of(r);
            }
        }
        return Optional.empty();
    }

    private static List<String> lineage(CimSchema schema, String className) {
        List<String> l = schema.lineage(className);
        return l.isEmpty() ? List.of(className) : l;
    }
}
