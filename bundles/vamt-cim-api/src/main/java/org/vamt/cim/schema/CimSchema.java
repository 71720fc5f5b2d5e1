package org.vamt.cim.schema;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * An immutable set of classes with inheritance resolved: a class's effective properties are its
 * superclasses' followed by its own, an overriding property taking the place of the one it
 * overrides. Class, property and method names are case-insensitive.
 */
public final class CimSchema implements Serializable {
    private static final long serialVersionUID = 1L;

    /**
     * The classes whose own properties real AMT writes after the inherited ones instead of in
     * ASCII order (captured AMT 16 answers: OSPowerSavingState last; StartTime, Interval,
     * DeleteOnCompletion last; the 802.1 header fields last).
     */
    public static final List<String> OWN_PROPERTIES_LAST = List.of(
            "IPS_PowerManagementService", "IPS_AlarmClockOccurrence", "AMT_Hdr8021Filter");

    private final Map<String, CimClassDef> classes = new LinkedHashMap<>();
    private final Map<String, List<CimPropertyDef>> effectiveProperties = new LinkedHashMap<>();
    /** Effective properties in the order AMT writes them on the wire ({@link #amtOrder}). */
    private final Map<String, List<CimPropertyDef>> amtOrders = new LinkedHashMap<>();
    /** Per class: property name, as the schema spells it and in lower case, to its index in the AMT order. */
    private final Map<String, Map<String, Integer>> amtPositions = new LinkedHashMap<>();
    /** Computed once: every request asks for lineages and subclasses, and the schema never changes. */
    private final Map<String, List<String>> lineages = new LinkedHashMap<>();
    private final Map<String, List<String>> subclasses = new LinkedHashMap<>();
    /** Key properties, computed once: every Get checks its selectors against them (a qualifier scan each). */
    private final Map<String, List<CimPropertyDef>> keys = new LinkedHashMap<>();

    private CimSchema(Collection<CimClassDef> defs) {
        for (CimClassDef c : defs) {
            classes.put(key(c.name()), c);
        }
        for (CimClassDef c : defs) {
            if (c.superClass() != null && !classes.containsKey(key(c.superClass()))) {
                throw new IllegalArgumentException("class " + c.name() + " extends unknown " + c.superClass());
            }
        }
        for (CimClassDef c : defs) {
            effectiveProperties.put(key(c.name()), Collections.unmodifiableList(resolve(c, new ArrayList<>())));
        }
        effectiveProperties.forEach((name, props) -> keys.put(name,
                props.stream().filter(CimPropertyDef::isKey).toList()));
        for (CimClassDef c : defs) {
            List<CimPropertyDef> order = amtOrderOf(c);
            amtOrders.put(key(c.name()), Collections.unmodifiableList(order));
            Map<String, Integer> positions = new HashMap<>();
            for (int i = 0; i < order.size(); i++) {
                positions.put(order.get(i).name(), i);
                positions.put(key(order.get(i).name()), i);
            }
            amtPositions.put(key(c.name()), Collections.unmodifiableMap(positions));
        }
        for (CimClassDef c : defs) {
            List<String> chain = new ArrayList<>();
            for (CimClassDef a = c; a != null; a = a.superClass() == null ? null : classes.get(key(a.superClass()))) {
                chain.add(a.name());
            }
            lineages.put(key(c.name()), List.copyOf(chain));
        }
        for (CimClassDef c : classes.values()) {
            for (String ancestor : lineages.get(key(c.name()))) {
                subclasses.computeIfAbsent(key(ancestor), k -> new ArrayList<>()).add(c.name());
            }
        }
        subclasses.replaceAll((k, v) -> List.copyOf(v));
    }

    /** A schema of these classes; every superclass must be among them. */
    public static CimSchema of(Collection<CimClassDef> defs) {
        return new CimSchema(defs);
    }

    public static CimSchema empty() {
        return new CimSchema(List.of());
    }

    private List<CimPropertyDef> resolve(CimClassDef c, List<String> seen) {
        if (seen.contains(key(c.name()))) {
            throw new IllegalArgumentException("inheritance cycle through " + c.name());
        }
        seen.add(key(c.name()));
        List<CimPropertyDef> props = c.superClass() == null ? new ArrayList<>()
                : resolve(classes.get(key(c.superClass())), seen);
        for (CimPropertyDef own : c.properties()) {
            int at = indexOf(props, own.name());
            if (at >= 0) {
                props.set(at, withInherited(own, props.get(at)));
            } else {
                props.add(own);
            }
        }
        return props;
    }

    /**
     * AMT's order: the ASCII order of the property names (what real AMT 16 answers for all but
     * three of the classes captured), except that in {@link #OWN_PROPERTIES_LAST} the properties
     * the class introduces follow the inherited ones, in declaration order, the inherited ones
     * being in ASCII order among themselves.
     */
    private List<CimPropertyDef> amtOrderOf(CimClassDef c) {
        List<CimPropertyDef> all = new ArrayList<>(effectiveProperties.get(key(c.name())));
        Comparator<CimPropertyDef> ascii = Comparator.comparing(CimPropertyDef::name);
        if (OWN_PROPERTIES_LAST.stream().noneMatch(c.name()::equalsIgnoreCase) || c.superClass() == null) {
            all.sort(ascii);
            return all;
        }
        List<CimPropertyDef> inherited = effectiveProperties.get(key(c.superClass()));
        List<CimPropertyDef> first = new ArrayList<>();
        List<CimPropertyDef> own = new ArrayList<>();
        for (CimPropertyDef p : all) {
            (indexOf(inherited, p.name()) >= 0 ? first : own).add(p);
        }
        first.sort(ascii);
        first.addAll(own);
        return first;
    }

    /**
     * An overriding property keeps the qualifiers of the one it overrides unless it restates them
     * (DSP0004's ToSubclass flavor: an association subclass narrowing a reference stays a Key).
     * Override itself is restricted to where it is written.
     */
    private static CimPropertyDef withInherited(CimPropertyDef own, CimPropertyDef inherited) {
        List<CimQualifier> merged = new ArrayList<>(own.qualifiers());
        for (CimQualifier q : inherited.qualifiers()) {
            if (!q.name().equalsIgnoreCase("Override") && own.qualifier(q.name()).isEmpty()) {
                merged.add(q);
            }
        }
        return new CimPropertyDef(own.name(), own.type(), own.referenceClass(), own.array(), own.defaultValue(), merged);
    }

    private static int indexOf(List<CimPropertyDef> props, String name) {
        for (int i = 0; i < props.size(); i++) {
            if (props.get(i).name().equalsIgnoreCase(name)) {
                return i;
            }
        }
        return -1;
    }

    private static String key(String name) {
        return name.toLowerCase(Locale.ROOT);
    }

    public Optional<CimClassDef> classDef(String name) {
        return Optional.ofNullable(classes.get(key(name)));
    }

    public Collection<CimClassDef> classes() {
        return Collections.unmodifiableCollection(classes.values());
    }

    public int size() {
        return classes.size();
    }

    /** Effective properties in schema order (inherited first). */
    public List<CimPropertyDef> properties(String className) {
        List<CimPropertyDef> p = effectiveProperties.get(key(className));
        if (p == null) {
            throw new IllegalArgumentException("unknown class " + className);
        }
        return p;
    }

    public Optional<CimPropertyDef> property(String className, String propertyName) {
        return properties(className).stream().filter(p -> p.name().equalsIgnoreCase(propertyName)).findFirst();
    }

    /**
     * Effective properties in the order real AMT writes an instance of the class: ASCII order of
     * the names, except for the classes in {@link #OWN_PROPERTIES_LAST} (see there). Every
     * instance the CIMOM hands out is in this order, so every protocol writes it that way.
     */
    public List<CimPropertyDef> amtOrder(String className) {
        List<CimPropertyDef> p = amtOrders.get(key(className));
        if (p == null) {
            throw new IllegalArgumentException("unknown class " + className);
        }
        return p;
    }

    /**
     * Where each property stands in {@link #amtOrder}: looked up by the exact name, or by the name in lower case
     * ({@code Locale.ROOT}). Lets a caller place an instance's few properties without a case-insensitive scan per
     * schema property.
     */
    public Map<String, Integer> amtOrderPositions(String className) {
        Map<String, Integer> p = amtPositions.get(key(className));
        if (p == null) {
            throw new IllegalArgumentException("unknown class " + className);
        }
        return p;
    }

    /** The key properties, in schema order. */
    public List<CimPropertyDef> keys(String className) {
        List<CimPropertyDef> k = keys.get(key(className));
        if (k == null) {
            throw new IllegalArgumentException("unknown class " + className);
        }
        return k;
    }

    /** A method declared by the class or inherited. */
    public Optional<CimMethodDef> method(String className, String methodName) {
        for (CimClassDef c = classes.get(key(className)); c != null;
             c = c.superClass() == null ? null : classes.get(key(c.superClass()))) {
            for (CimMethodDef m : c.methods()) {
                if (m.name().equalsIgnoreCase(methodName)) {
                    return Optional.of(m);
                }
            }
        }
        return Optional.empty();
    }

    /** The class followed by its superclasses up to the root (empty for an unknown class). */
    public List<String> lineage(String className) {
        return lineages.getOrDefault(key(className), List.of());
    }

    /** Whether {@code className} is {@code ancestor} or one of its subclasses. */
    public boolean isA(String className, String ancestor) {
        for (String c : lineage(className)) {
            if (c.equalsIgnoreCase(ancestor)) {
                return true;
            }
        }
        return false;
    }

    /** The class and all its subclasses, in declaration order (empty for an unknown class). */
    public List<String> withSubclasses(String className) {
        return subclasses.getOrDefault(key(className), List.of());
    }
}
