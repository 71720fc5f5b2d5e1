package org.vamt.itests;

import java.util.Map;
import java.util.TreeMap;

/** The samples of a Prometheus text-format scrape: series (name with its labels, as written) to value. */
final class PrometheusText {
    private PrometheusText() {
    }

    static Map<String, Double> parse(String text) {
        Map<String, Double> samples = new TreeMap<>();
        for (String line : text.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            int space = line.lastIndexOf(' ');
            samples.put(line.substring(0, space), Double.parseDouble(line.substring(space + 1)));
        }
        return samples;
    }

    /** The samples whose series contains {@code part}, for messages. */
    static Map<String, Double> matching(Map<String, Double> samples, String part) {
        Map<String, Double> m = new TreeMap<>();
        samples.forEach((k, v) -> {
            if (k.contains(part)) {
                m.put(k, v);
            }
        });
        return m;
    }
}
