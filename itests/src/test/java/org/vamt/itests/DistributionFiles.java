package org.vamt.itests;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/** Preparing an unpacked distribution for a test that runs it as an operator would. */
final class DistributionFiles {
    private DistributionFiles() {
    }

    /** Sets {@code key = value} in a .cfg file of the distribution, replacing any earlier value. */
    static void setProperty(Path home, String file, String key, String value) throws IOException {
        Path f = home.resolve(file);
        List<String> lines = new ArrayList<>(Files.readAllLines(f));
        lines.removeIf(l -> l.matches("\\s*" + Pattern.quote(key) + "\\s*=.*"));
        lines.add(key + " = " + value);
        Files.write(f, lines);
    }

    private static final Pattern ENDPOINT_LOG = Pattern.compile(
            "vAMT endpoint( removed)?: VM '.*' \\(([0-9a-fA-F-]{36})\\) (?:at|was at) https?://([^:/]+):\\d+/wsman");

    /**
     * The VM endpoints, UUID (lower case) to address: the distribution's endpoint file
     * ({@code etc/vamt-endpoints.properties}, what {@code ./vamt run} prints) once there is one, else as
     * it announced them in {@code data/log/karaf.log}.
     */
    static java.util.Map<String, String> endpointMap(Path home) throws IOException {
        java.util.Map<String, String> map = new java.util.TreeMap<>();
        Path file = home.resolve("etc/vamt-endpoints.properties");
        if (Files.exists(file)) {
            java.util.Properties kept = new java.util.Properties();
            try (java.io.Reader r = Files.newBufferedReader(file, java.nio.charset.StandardCharsets.ISO_8859_1)) {
                kept.load(r);
            }
            kept.stringPropertyNames().stream().filter(k -> k.indexOf('.') < 0)
                    .forEach(k -> map.put(k.toLowerCase(java.util.Locale.ROOT), kept.getProperty(k).trim()));
            return map;
        }
        Path log = home.resolve("data/log/karaf.log");
        if (!Files.exists(log)) {
            return map;
        }
        for (String line : Files.readAllLines(log, java.nio.charset.StandardCharsets.UTF_8)) {
            java.util.regex.Matcher m = ENDPOINT_LOG.matcher(line);
            if (!m.find()) {
                continue;
            }
            String uuid = m.group(2).toLowerCase(java.util.Locale.ROOT);
            if (m.group(1) != null) {
                map.remove(uuid);
            } else {
                map.put(uuid, m.group(3));
            }
        }
        return map;
    }

    /**
     * target/&lt;name&gt;/&lt;dist&gt;: a fresh copy of the unpacked distribution (modes kept), without the
     * runtime state (data/, the users file) an earlier test may have left: a first start.
     */
    static Path freshCopy(String name) throws IOException {
        Path e2e = java.nio.file.Paths.get(System.getProperty("vamt.e2e.dir", "target/e2e"));
        Path source;
        try (Stream<Path> s = Files.list(e2e)) {
            source = s.filter(p -> Files.isDirectory(p.resolve("bin"))).findFirst()
                    .orElseThrow(() -> new IllegalStateException("no unpacked distribution in " + e2e));
        }
        Path copy = e2e.resolveSibling(name);
        deleteTree(copy);
        Files.createDirectories(copy);
        Path home = copy.resolve(source.getFileName());
        try (Stream<Path> s = Files.walk(source)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                Path rel = source.relativize(p);
                if (rel.startsWith("data") && rel.getNameCount() > 1) {
                    continue;
                }
                Files.copy(p, home.resolve(rel.toString()), java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
            }
        }
        for (String state : List.of("vamt-users.properties", "vamt-users.key", "vamt-client.key")) {
            Files.deleteIfExists(home.resolve("etc").resolve(state));
        }
        return home;
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).map(Path::toFile).forEach(File::delete);
        }
    }
}
