package org.vamt.shell.internal;

import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.vamt.security.AmtRealm;

/** Realm arguments: names (remote-control) or numbers (5), or "all". */
final class Realms {
    private Realms() {
    }

    static Set<Integer> parse(List<String> given) {
        Set<Integer> out = new TreeSet<>();
        if (given == null) {
            return out;
        }
        for (String g : given) {
            for (String part : g.split(",")) {
                if (part.isBlank()) {
                    continue;
                }
                if ("all".equalsIgnoreCase(part.trim())) {
                    out.addAll(AmtRealm.all());
                    continue;
                }
                int r = AmtRealm.parse(part);
                if (r < 0) {
                    throw new IllegalArgumentException("no AMT realm '" + part.trim() + "'; known: "
                            + AmtRealm.all().stream().map(AmtRealm::name).collect(Collectors.joining(", ")));
                }
                out.add(r);
            }
        }
        return out;
    }

    static String format(Set<Integer> realms) {
        return realms.stream().sorted().map(AmtRealm::name).collect(Collectors.joining(","));
    }
}
