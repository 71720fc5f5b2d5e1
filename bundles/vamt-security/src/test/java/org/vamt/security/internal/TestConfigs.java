package org.vamt.security.internal;

import java.lang.reflect.Proxy;
import java.util.Map;

/**
 * Component configurations outside OSGi, as Declarative Services builds them from Config Admin:
 * the given values, every other attribute its default. Published in this module's test-jar for
 * the tests of the bundles that build on the security service.
 */
public final class TestConfigs {
    private TestConfigs() {
    }

    public static <T> T of(Class<T> type, Map<String, ?> values) {
        return type.cast(Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type},
                (proxy, method, args) -> switch (method.getName()) {
                    case "annotationType" -> type;
                    case "toString" -> type.getSimpleName() + values;
                    case "hashCode" -> values.hashCode();
                    case "equals" -> proxy == args[0];
                    default -> values.containsKey(method.getName()) ? values.get(method.getName())
                            : method.getDefaultValue();
                }));
    }
}
