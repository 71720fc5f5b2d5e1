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

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).map(Path::toFile).forEach(File::delete);
        }
    }
}
