package org.vamt.provider.logs.internal;

import org.vamt.security.files.DurableFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The audit records of every VM, one file per VM (one base64 record per line, oldest first) so
 * they survive restarts and crashes: a record is on disk before the request that caused it is
 * answered. Bounded by {@code maxRecords}: what happens when full is the VM's storage policy
 * (roll-over drops the oldest, no roll-over refuses the new, restricted roll-over drops only old
 * enough ones). Appends are cheap; the file is compacted when it holds twice the bound.
 */
final class AuditStore {
    private final Path dir;
    private final int maxRecords;
    private final Map<String, List<byte[]>> cache = new ConcurrentHashMap<>();
    private final Map<String, Integer> linesOnDisk = new ConcurrentHashMap<>();

    AuditStore(Path dir, int maxRecords) {
        this.dir = dir;
        this.maxRecords = maxRecords;
    }

    private Path file(String machineId) {
        String id = machineId.toLowerCase(Locale.ROOT);
        if (!id.matches("[0-9a-f-]{1,64}")) {
            throw new IllegalArgumentException("not a VM UUID: " + machineId);
        }
        return dir.resolve(id + ".audit");
    }

    /** The records of a VM, oldest first (a copy). */
    List<byte[]> records(String machineId) {
        synchronized (lock(machineId)) {
            return new ArrayList<>(load(machineId));
        }
    }

    /** Appends under AMT's roll-over policy (the oldest records make room). */
    void append(String machineId, byte[] record) {
        append(machineId, record, AuditPolicy.ROLL_OVER, 0, false, 0);
    }

    /**
     * Appends a record if the storage policy lets it in: roll-over makes room by dropping the
     * oldest record; no roll-over refuses it when the log is full, and non-critical records already
     * when it is 85% full (the rest is kept for critical ones, as AMT does); restricted roll-over
     * drops the oldest record only if it is at least {@code minDaysToKeep} days old.
     *
     * @return whether the record was stored
     */
    boolean append(String machineId, byte[] record, int storagePolicy, int minDaysToKeep, boolean critical,
                   long nowEpochSeconds) {
        synchronized (lock(machineId)) {
            List<byte[]> records = load(machineId);
            if (!fits(records, storagePolicy, minDaysToKeep, critical, nowEpochSeconds)) {
                return false;
            }
            records.add(record);
            while (records.size() > maxRecords) {
                records.remove(0);
            }
            try {
                Files.createDirectories(dir);
                int lines = linesOnDisk.getOrDefault(key(machineId), 0) + 1;
                if (lines > 2 * maxRecords) {
                    rewrite(machineId, records);
                } else {
                    Files.writeString(file(machineId), Base64.getEncoder().encodeToString(record) + "\n",
                            StandardCharsets.US_ASCII, StandardOpenOption.CREATE, StandardOpenOption.APPEND,
                            StandardOpenOption.WRITE);
                    linesOnDisk.put(key(machineId), lines);
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return true;
        }
    }

    /**
     * Whether {@link #append} would store a record now (nothing is written): AMT refuses to run a
     * critical operation whose record the log would refuse.
     */
    boolean accepts(String machineId, int storagePolicy, int minDaysToKeep, boolean critical, long nowEpochSeconds) {
        synchronized (lock(machineId)) {
            return fits(load(machineId), storagePolicy, minDaysToKeep, critical, nowEpochSeconds);
        }
    }

    /** The storage policy's decision for one more record. */
    private boolean fits(List<byte[]> records, int storagePolicy, int minDaysToKeep, boolean critical,
                         long nowEpochSeconds) {
        if (records.size() >= maxRecords) {
            if (storagePolicy == AuditPolicy.NO_ROLL_OVER) {
                return false;
            }
            return storagePolicy != AuditPolicy.RESTRICTED_ROLL_OVER
                    || AuditRecord.time(records.get(0)) <= nowEpochSeconds - minDaysToKeep * 86_400L;
        }
        return storagePolicy != AuditPolicy.NO_ROLL_OVER || critical || records.size() < almostFull();
    }

    /** 85% of the capacity: past it a log without roll-over takes critical records only. */
    int almostFull() {
        return maxRecords * 85 / 100;
    }

    int capacity() {
        return maxRecords;
    }

    /** Replaces the records of a VM (ClearLog). */
    void replace(String machineId, List<byte[]> records) {
        synchronized (lock(machineId)) {
            List<byte[]> list = load(machineId);
            list.clear();
            list.addAll(records);
            try {
                Files.createDirectories(dir);
                rewrite(machineId, list);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    private void rewrite(String machineId, List<byte[]> records) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (byte[] r : records) {
            sb.append(Base64.getEncoder().encodeToString(r)).append('\n');
        }
        DurableFiles.replace(file(machineId), sb.toString().getBytes(StandardCharsets.US_ASCII));
        linesOnDisk.put(key(machineId), records.size());
    }

    private List<byte[]> load(String machineId) {
        return cache.computeIfAbsent(key(machineId), k -> {
            List<byte[]> out = new ArrayList<>();
            Path f = file(machineId);
            if (Files.exists(f)) {
                try {
                    List<String> lines = Files.readAllLines(f, StandardCharsets.US_ASCII);
                    for (String line : lines) {
                        try {
                            if (!line.isBlank()) {
                                out.add(Base64.getDecoder().decode(line.strip()));
                            }
                        } catch (IllegalArgumentException torn) {
                            // a line cut short by a crash: skip it, keep the rest
                        }
                    }
                    linesOnDisk.put(k, lines.size());
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
            while (out.size() > maxRecords) {
                out.remove(0);
            }
            return out;
        });
    }

    private static String key(String machineId) {
        return machineId.toLowerCase(Locale.ROOT);
    }

    private final Map<String, Object> locks = new ConcurrentHashMap<>();

    private Object lock(String machineId) {
        return locks.computeIfAbsent(key(machineId), k -> new Object());
    }
}
