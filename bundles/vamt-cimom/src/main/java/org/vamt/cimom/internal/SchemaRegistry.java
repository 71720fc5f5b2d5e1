package org.vamt.cimom.internal;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.vamt.cim.schema.CimClassDef;
import org.vamt.cim.schema.CimSchema;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The CIMOM's classes, gathered from MOF sources (the schema bundle, provider bundles) that come
 * and go at runtime. Each change rebuilds an immutable {@link CimSchema} that readers use
 * lock-free. A class whose superclass is missing waits until a source brings it; a class
 * defined by two sources is taken from the first.
 */
final class SchemaRegistry {
    private static final Logger LOG = LoggerFactory.getLogger(SchemaRegistry.class);

    private final Map<String, List<CimClassDef>> sources = new LinkedHashMap<>();
    private volatile CimSchema current = CimSchema.empty();

    CimSchema current() {
        return current;
    }

    synchronized void add(String source, List<CimClassDef> classes) {
        sources.put(source, List.copyOf(classes));
        rebuild();
        LOG.info("Schema source {} added {} classes; the schema now holds {}", source, classes.size(), current.size());
    }

    synchronized void remove(String source) {
        if (sources.remove(source) != null) {
            rebuild();
            LOG.info("Schema source {} removed; the schema now holds {} classes", source, current.size());
        }
    }

    private void rebuild() {
        Map<String, CimClassDef> accepted = new LinkedHashMap<>();
        List<CimClassDef> pending = new ArrayList<>();
        for (Map.Entry<String, List<CimClassDef>> s : sources.entrySet()) {
            for (CimClassDef c : s.getValue()) {
                String k = c.name().toLowerCase(java.util.Locale.ROOT);
                if (accepted.containsKey(k) || pending.stream().anyMatch(p -> p.name().equalsIgnoreCase(c.name()))) {
                    LOG.warn("Class {} from {} is already defined; keeping the first definition", c.name(), s.getKey());
                    continue;
                }
                pending.add(c);
            }
        }
        // Accept classes whose superclass is known, repeating until nothing changes.
        boolean progress = true;
        while (progress) {
            progress = false;
            for (var it = pending.iterator(); it.hasNext();) {
                CimClassDef c = it.next();
                if (c.superClass() == null || accepted.containsKey(c.superClass().toLowerCase(java.util.Locale.ROOT))) {
                    accepted.put(c.name().toLowerCase(java.util.Locale.ROOT), c);
                    it.remove();
                    progress = true;
                }
            }
        }
        if (!pending.isEmpty()) {
            Set<String> names = new TreeSet<>();
            pending.forEach(c -> names.add(c.name() + " : " + c.superClass()));
            LOG.warn("Classes waiting for their superclass: {}", names);
        }
        current = CimSchema.of(accepted.values());
    }
}
