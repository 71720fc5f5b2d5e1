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
     * The VM endpoints as the running distribution last announced them in {@code data/log/karaf.log}
     * (what {@code ./vamt run} prints), UUID (lower case) to address: the operator's view of the
     * identities Config Admin keeps.
     */
    static java.util.Map<String, String> endpointMap(Path home) throws IOException {
        java.util.Map<String, String> map = new java.util.TreeMap<>();
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

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).map(Path::toFile).forEach(File::delete);
        }
    }
}
