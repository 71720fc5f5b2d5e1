package org.vamt.cimom.internal;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.vamt.cim.spi.CimProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which provider serves which class. Providers come and go at any time (bundles installed,
 * updated, removed); lookups never block. When two providers claim a class, the higher
 * service.ranking wins, then the older service (lower service.id), as OSGi ranks services.
 */
final class ProviderRegistry {
    private static final Logger LOG = LoggerFactory.getLogger(ProviderRegistry.class);

    record Registration(CimProvider provider, List<String> classes, int ranking, long serviceId) {
        boolean outranks(Registration other) {
            return ranking != other.ranking ? ranking > other.ranking : serviceId < other.serviceId;
        }
    }

    private final Map<String, CopyOnWriteArrayList<Registration>> byClass = new ConcurrentHashMap<>();
    private final Map<CimProvider, Registration> byProvider = new ConcurrentHashMap<>();

    /** Registers a provider from its service properties; a malformed one is logged and ignored. */
    void add(CimProvider provider, Map<String, ?> properties) {
        List<String> classes = classNames(properties.get(CimProvider.CLASSES));
        if (classes.isEmpty()) {
            LOG.warn("Ignoring CIM provider {}: service property {} lists no classes", provider,
                    CimProvider.CLASSES);
            return;
        }
        Registration r = new Registration(provider, classes, intProperty(properties.get("service.ranking")),
                longProperty(properties.get("service.id")));
        byProvider.put(provider, r);
        for (String c : classes) {
            byClass.computeIfAbsent(key(c), k -> new CopyOnWriteArrayList<>()).add(r);
        }
        LOG.info("CIM provider {} serves {}", provider, classes);
    }

    void remove(CimProvider provider) {
        Registration r = byProvider.remove(provider);
        if (r == null) {
            return;
        }
        for (String c : r.classes()) {
            byClass.computeIfPresent(key(c), (k, list) -> {
                list.remove(r);
                return list.isEmpty() ? null : list;
            });
        }
        LOG.info("CIM provider {} withdrawn; no longer serving {}", provider, r.classes());
    }

    /** The provider serving {@code className}, if any. */
    Optional<CimProvider> providerFor(String className) {
        List<Registration> list = byClass.get(key(className));
        if (list == null) {
            return Optional.empty();
        }
        Registration best = null;
        for (Registration r : list) {
            if (best == null || r.outranks(best)) {
                best = r;
            }
        }
        return Optional.ofNullable(best).map(Registration::provider);
    }

    /** Served class names, as the providers spell them. */
    Set<String> classes() {
        Set<String> names = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);
        byProvider.values().forEach(r -> names.addAll(r.classes()));
        return names;
    }

    private static String key(String className) {
        return className.toLowerCase(Locale.ROOT);
    }

    private static List<String> classNames(Object value) {
        List<String> names = new ArrayList<>();
        if (value instanceof String s) {
            addNames(names, List.of(s.split(",")));
        } else if (value instanceof String[] array) {
            addNames(names, List.of(array));
        } else if (value instanceof Collection<?> c) {
            c.forEach(o -> addNames(names, List.of(String.valueOf(o))));
        }
        return names;
    }

    private static void addNames(List<String> names, List<String> raw) {
        for (String n : raw) {
            String t = n.trim();
            if (t.matches("[A-Za-z_][A-Za-z0-9_]*")) {
                names.add(t);
            } else if (!t.isEmpty()) {
                LOG.warn("Ignoring malformed CIM class name '{}'", t);
            }
        }
    }

    private static int intProperty(Object o) {
        return o instanceof Integer i ? i : 0;
    }

    private static long longProperty(Object o) {
        return o instanceof Long l ? l : Long.MAX_VALUE;
    }
}
