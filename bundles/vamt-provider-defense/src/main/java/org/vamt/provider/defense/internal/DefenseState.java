package org.vamt.provider.defense.internal;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Properties;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.vamt.cim.CimDateTime;
import org.vamt.provider.defense.DefenseSettings;

/**
 * The system defense state of one VM: policies and filters by handle, the links of policies to
 * Ethernet ports (the AMT_NetworkPortSystemDefensePolicy instances) and, while the VM is
 * isolated, the link state each NIC had before. Kept with the VM as {@link DefenseSettings}
 * (typed per-VM state); before that, as {@link Properties} text in the VM's metadata, one line per
 * stored property, which {@link #parse} still reads for migration:
 *
 * <pre>
 * next=3
 * obj.1=AMT_IPHeadersFilter
 * obj.1.FilterProfile=i 3
 * obj.2=AMT_SystemDefensePolicy
 * obj.2.PolicyName=s Isolate
 * obj.2.FilterCreationHandles=I 1
 * link.0=0 2 true              (port, policy handle, enabled)
 * isolated=525400a00001 up,525400a00011 down
 * </pre>
 *
 * Values carry a type tag (b boolean, i integer, d real, s string, t/T datetime/interval, and
 * I/S/B for arrays) so that they come back with the types the schema gave them. Not thread-safe:
 * {@link DefenseStore} serializes changes per VM.
 */
public final class DefenseState {
    static final String POLICY = "AMT_SystemDefensePolicy";
    static final String IP_FILTER = "AMT_IPHeadersFilter";
    static final String HDR8021_FILTER = "AMT_Hdr8021Filter";
    /** InstanceIDs of policies and filters: AMT's form, the trailing number is the handle. */
    static final String HANDLE_PREFIX = "Intel(r) AMT:Handle:";
    private static final Pattern HANDLE = Pattern.compile(Pattern.quote(HANDLE_PREFIX) + "(\\d{1,9})");
    /** FilterProfile values that let matching packets through: pass with statistics, rate limit, pass. */
    private static final Set<Long> PASSING_PROFILES = Set.of(0L, 2L, 3L);

    /** A stored policy or filter: its class and the properties the client gave (keys excluded). */
    record StoredObject(String className, Map<String, Object> properties) {
        StoredObject {
            properties = Collections.unmodifiableMap(new LinkedHashMap<>(properties));
        }

        Object get(String name) {
            for (Map.Entry<String, Object> e : properties.entrySet()) {
                if (e.getKey().equalsIgnoreCase(name)) {
                    return e.getValue();
                }
            }
            return null;
        }
    }

    /** A policy put on a port (index n of "Intel(r) AMT Ethernet Port n"). */
    record Link(int port, long policy, boolean enabled) {
    }

    private long nextHandle = 1;
    private final TreeMap<Long, StoredObject> objects = new TreeMap<>();
    private final List<Link> links = new ArrayList<>();
    /** MAC (12 lower-case hex digits) → whether its link was up before isolation; null while not isolated. */
    private LinkedHashMap<String, Boolean> savedLinks;

    DefenseState copy() {
        DefenseState c = new DefenseState();
        c.nextHandle = nextHandle;
        c.objects.putAll(objects);
        c.links.addAll(links);
        c.savedLinks = savedLinks == null ? null : new LinkedHashMap<>(savedLinks);
        return c;
    }

    // ---------------------------------------------------------------- policies and filters

    static String instanceId(long handle) {
        return HANDLE_PREFIX + handle;
    }

    /** The handle in an InstanceID of ours, if it is one. */
    static OptionalLong handleOf(Object instanceId) {
        Matcher m = instanceId == null ? null : HANDLE.matcher(String.valueOf(instanceId).trim());
        return m != null && m.matches() ? OptionalLong.of(Long.parseLong(m.group(1))) : OptionalLong.empty();
    }

    /** Stores a new object under the next handle, which it returns. Handles are never reused. */
    long add(String className, Map<String, Object> properties) {
        long h = nextHandle++;
        objects.put(h, new StoredObject(className, properties));
        return h;
    }

    Optional<StoredObject> object(long handle) {
        return Optional.ofNullable(objects.get(handle));
    }

    void remove(long handle) {
        objects.remove(handle);
    }

    /** Objects of one class by handle, or of the given classes. */
    SortedMap<Long, StoredObject> objects(String... classNames) {
        SortedMap<Long, StoredObject> out = new TreeMap<>();
        objects.forEach((h, o) -> {
            for (String c : classNames) {
                if (c.equalsIgnoreCase(o.className())) {
                    out.put(h, o);
                }
            }
        });
        return out;
    }

    boolean isPolicy(long handle) {
        return object(handle).map(o -> POLICY.equals(o.className())).orElse(false);
    }

    boolean isFilter(long handle) {
        return object(handle).map(o -> IP_FILTER.equals(o.className()) || HDR8021_FILTER.equals(o.className()))
                .orElse(false);
    }

    /** The policies whose FilterCreationHandles name a filter. */
    List<Long> policiesUsing(long filter) {
        List<Long> out = new ArrayList<>();
        objects(POLICY).forEach((h, p) -> {
            if (filterHandles(p).contains(filter)) {
                out.add(h);
            }
        });
        return out;
    }

    static List<Long> filterHandles(StoredObject policy) {
        Object v = policy.get("FilterCreationHandles");
        List<Long> out = new ArrayList<>();
        if (v instanceof List<?> list) {
            for (Object o : list) {
                Long l = Values.integer(o);
                if (l != null) {
                    out.add(l);
                }
            }
        } else if (Values.integer(v) != null) {
            out.add(Values.integer(v));
        }
        return out;
    }

    // ---------------------------------------------------------------- links and isolation

    List<Link> links() {
        return Collections.unmodifiableList(links);
    }

    void addLink(Link link) {
        links.add(link);
    }

    boolean removeLink(int port, long policy) {
        return links.removeIf(l -> l.port() == port && l.policy() == policy);
    }

    Optional<Link> link(int port, long policy) {
        return links.stream().filter(l -> l.port() == port && l.policy() == policy).findFirst();
    }

    boolean isLinked(long policy) {
        return links.stream().anyMatch(l -> l.policy() == policy);
    }

    /**
     * The policy in force on a port: of the enabled links, the one whose policy has the highest
     * PolicyPrecedence (the earliest created on a tie).
     */
    OptionalLong activePolicy(int port) {
        Comparator<Long> byPrecedence = Comparator.comparingLong(this::precedence);
        return links.stream().filter(l -> l.port() == port && l.enabled() && isPolicy(l.policy()))
                .map(Link::policy).max(byPrecedence.thenComparing(Comparator.reverseOrder()))
                .map(OptionalLong::of).orElse(OptionalLong.empty());
    }

    private long precedence(long policy) {
        Long p = object(policy).map(o -> Values.integer(o.get("PolicyPrecedence"))).orElse(null);
        return p == null ? 0 : p;
    }

    /**
     * Whether a policy cuts its port off entirely: it drops by default in both directions and none
     * of its filters lets packets through (pass, pass with statistics or rate limit).
     */
    boolean isolates(long policy) {
        StoredObject p = object(policy).orElse(null);
        if (p == null || !Boolean.TRUE.equals(Values.bool(p.get("TxDefaultDrop")))
                || !Boolean.TRUE.equals(Values.bool(p.get("RxDefaultDrop")))) {
            return false;
        }
        for (long f : filterHandles(p)) {
            StoredObject filter = object(f).orElse(null);
            if (filter != null && allowsTraffic(filter)) {
                return false;
            }
        }
        return true;
    }

    static boolean allowsTraffic(StoredObject filter) {
        Long profile = Values.integer(filter.get("FilterProfile"));
        return profile == null || PASSING_PROFILES.contains(profile);
    }

    /** The ports whose active policy isolates; the VM is to be cut off when there is any. */
    List<Integer> isolatingPorts() {
        Set<Integer> ports = new TreeSet<>();
        links.forEach(l -> ports.add(l.port()));
        List<Integer> out = new ArrayList<>();
        for (int port : ports) {
            OptionalLong active = activePolicy(port);
            if (active.isPresent() && isolates(active.getAsLong())) {
                out.add(port);
            }
        }
        return out;
    }

    /** While isolated: each NIC's link state before (MAC as 12 hex digits → up); null otherwise. */
    Map<String, Boolean> savedLinks() {
        return savedLinks == null ? null : Collections.unmodifiableMap(savedLinks);
    }

    void setSavedLinks(Map<String, Boolean> saved) {
        this.savedLinks = saved == null ? null : new LinkedHashMap<>(saved);
    }

    // ---------------------------------------------------------------- typed form

    /** The stored form; {@link DefenseSettings#NONE} when there is nothing to keep. */
    public DefenseSettings toSettings() {
        if (objects.isEmpty() && links.isEmpty() && savedLinks == null) {
            return DefenseSettings.NONE;
        }
        List<DefenseSettings.StoredObject> out = new ArrayList<>();
        objects.forEach((h, o) -> {
            Map<String, String> props = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
            o.properties().forEach((k, v) -> props.put(k, encode(v)));
            out.add(new DefenseSettings.StoredObject(h, o.className(), new LinkedHashMap<>(props)));
        });
        List<DefenseSettings.PortPolicy> ports = new ArrayList<>();
        links.forEach(l -> ports.add(new DefenseSettings.PortPolicy(l.port(), l.policy(), l.enabled())));
        return new DefenseSettings(nextHandle, out, ports, savedLinks);
    }

    /** The working form of a stored state; IllegalArgumentException for a value that cannot be read. */
    static DefenseState from(DefenseSettings settings) {
        DefenseState s = new DefenseState();
        s.nextHandle = Math.max(1, settings.nextHandle());
        for (DefenseSettings.StoredObject o : settings.objects()) {
            Map<String, Object> props = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
            o.properties().forEach((k, v) -> props.put(k, decode(v)));
            s.objects.put(o.handle(), new StoredObject(o.className(), props));
        }
        settings.ports().forEach(p -> s.links.add(new Link(p.port(), p.policy(), p.enabled())));
        s.savedLinks = settings.isolatedLinks() == null ? null : new LinkedHashMap<>(new TreeMap<>(settings.isolatedLinks()));
        if (!s.objects.isEmpty() && s.nextHandle <= s.objects.lastKey()) {
            s.nextHandle = s.objects.lastKey() + 1;
        }
        return s;
    }

    // ---------------------------------------------------------------- old text form (migration only)

    /** The Properties text, sorted and without the date comment; null when there is nothing to keep. */
    String format() {
        if (objects.isEmpty() && links.isEmpty() && savedLinks == null) {
            return null;
        }
        Map<String, String> lines = new LinkedHashMap<>();
        lines.put("next", Long.toString(nextHandle));
        objects.forEach((h, o) -> {
            lines.put("obj." + h, o.className());
            Map<String, Object> sorted = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);   // canonical text
            sorted.putAll(o.properties());
            sorted.forEach((k, v) -> lines.put("obj." + h + "." + k, encode(v)));
        });
        for (int i = 0; i < links.size(); i++) {
            Link l = links.get(i);
            lines.put("link." + i, l.port() + " " + l.policy() + " " + l.enabled());
        }
        if (savedLinks != null) {
            List<String> saved = new ArrayList<>();
            savedLinks.forEach((mac, up) -> saved.add(mac + (up ? " up" : " down")));
            lines.put("isolated", String.join(",", saved));
        }
        Properties p = new OrderedProperties(lines.keySet());
        p.putAll(lines);
        StringWriter w = new StringWriter();
        try {
            p.store(w, null);
        } catch (IOException e) {
            throw new IllegalStateException(e);   // a StringWriter does not fail
        }
        StringBuilder out = new StringBuilder();
        for (String line : w.toString().split("\\R")) {
            if (!line.isEmpty() && !line.startsWith("#")) {
                out.append(line).append('\n');
            }
        }
        return out.toString();
    }

    /** Reads the text {@link #format} wrote; an absent value is the empty state. */
    public static DefenseState parse(String text) {
        DefenseState s = new DefenseState();
        if (text == null || text.isBlank()) {
            return s;
        }
        Properties p = new Properties();
        try {
            p.load(new StringReader(text));
        } catch (IOException | IllegalArgumentException e) {
            throw new IllegalArgumentException("not Properties text: " + e.getMessage(), e);
        }
        s.nextHandle = Long.parseLong(p.getProperty("next", "1").trim());
        Map<Long, String> classes = new TreeMap<>();
        Map<Long, Map<String, Object>> props = new TreeMap<>();
        Map<Integer, Link> links = new TreeMap<>();
        for (String key : p.stringPropertyNames()) {
            String value = p.getProperty(key);
            String[] parts = key.split("\\.", 3);
            switch (parts[0]) {
                case "obj" -> {
                    long h = Long.parseLong(parts[1]);
                    if (parts.length == 2) {
                        classes.put(h, value);
                    } else {
                        props.computeIfAbsent(h, k -> new TreeMap<>(String.CASE_INSENSITIVE_ORDER))
                                .put(parts[2], decode(value));
                    }
                }
                case "link" -> {
                    String[] l = value.trim().split(" ");
                    links.put(Integer.parseInt(parts[1]),
                            new Link(Integer.parseInt(l[0]), Long.parseLong(l[1]), Boolean.parseBoolean(l[2])));
                }
                case "isolated" -> {
                    s.savedLinks = new LinkedHashMap<>();
                    for (String entry : value.split(",")) {
                        String[] e = entry.trim().split(" ");
                        if (e.length == 2) {
                            s.savedLinks.put(e[0], "up".equals(e[1]));
                        }
                    }
                }
                default -> { }   // "next", or a key a later version added
            }
        }
        classes.forEach((h, c) -> s.objects.put(h, new StoredObject(c, props.getOrDefault(h, Map.of()))));
        s.links.addAll(links.values());
        if (!s.objects.isEmpty() && s.nextHandle <= s.objects.lastKey()) {
            s.nextHandle = s.objects.lastKey() + 1;
        }
        return s;
    }

    /** Whether a value can be stored: the types the CIMOM gives properties of these classes. */
    static boolean storable(Object v) {
        try {
            encode(v);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    static String encode(Object v) {
        if (v instanceof Boolean b) {
            return "b " + b;
        }
        if (v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte) {
            return "i " + ((Number) v).longValue();
        }
        if (v instanceof Double || v instanceof Float) {
            return "d " + ((Number) v).doubleValue();
        }
        if (v instanceof String s) {
            return "s " + s;
        }
        if (v instanceof CimDateTime dt) {
            return (dt.interval() ? "T " : "t ") + dt.text();
        }
        if (v instanceof List<?> list) {
            if (list.stream().allMatch(e -> e instanceof Long || e instanceof Integer)) {
                return "I " + String.join(",", list.stream().map(e -> String.valueOf(((Number) e).longValue())).toList());
            }
            if (list.stream().allMatch(e -> e instanceof Boolean)) {
                return "B " + String.join(",", list.stream().map(String::valueOf).toList());
            }
            if (list.stream().allMatch(e -> e instanceof String)) {
                return "S " + String.join(",", list.stream()
                        .map(e -> URLEncoder.encode((String) e, StandardCharsets.UTF_8)).toList());
            }
        }
        throw new IllegalArgumentException("cannot store a " + (v == null ? "null" : v.getClass().getSimpleName()));
    }

    static Object decode(String text) {
        if (text.length() < 2 || text.charAt(1) != ' ') {
            throw new IllegalArgumentException("untagged value: " + text);
        }
        String t = text.substring(2);
        List<String> items = t.isEmpty() ? List.of() : List.of(t.split(",", -1));
        return switch (text.charAt(0)) {
            case 'b' -> Boolean.parseBoolean(t);
            case 'i' -> Long.parseLong(t);
            case 'd' -> Double.parseDouble(t);
            case 's' -> t;
            case 't' -> new CimDateTime(t, false);
            case 'T' -> new CimDateTime(t, true);
            case 'I' -> items.stream().map(Long::parseLong).toList();
            case 'B' -> items.stream().map(Boolean::parseBoolean).toList();
            case 'S' -> items.stream().map(s -> URLDecoder.decode(s, StandardCharsets.UTF_8)).toList();
            default -> throw new IllegalArgumentException("unknown value tag: " + text.charAt(0));
        };
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DefenseState other && Objects.equals(format(), other.format());
    }

    @Override
    public int hashCode() {
        return Objects.hashCode(format());
    }

    @Override
    public String toString() {
        return String.valueOf(format());
    }

    /** Properties that store their entries in a given order (store() walks entrySet()). */
    private static final class OrderedProperties extends Properties {
        private static final long serialVersionUID = 1L;
        private final List<String> order;

        OrderedProperties(Set<String> order) {
            this.order = List.copyOf(order);
        }

        @Override
        public Set<Map.Entry<Object, Object>> entrySet() {
            Set<Map.Entry<Object, Object>> sorted = new TreeSet<>(Comparator.comparingInt(
                    (Map.Entry<Object, Object> e) -> order.indexOf(String.valueOf(e.getKey())))
                    .thenComparing(e -> String.valueOf(e.getKey()).toLowerCase(Locale.ROOT)));
            sorted.addAll(super.entrySet());
            return Collections.synchronizedSet(sorted);
        }
    }
}
