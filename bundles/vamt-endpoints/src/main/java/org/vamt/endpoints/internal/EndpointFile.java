package org.vamt.endpoints.internal;

import org.vamt.security.files.DurableFiles;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

/**
 * The endpoint map, every VM in one properties file, etc/vamt-endpoints.properties:
 * {@code <uuid> = <address>} (the first format, which scripts read), plus {@code <uuid>.port},
 * {@code <uuid>.hostName} and {@code <uuid>.name}, sorted by UUID. One file rather than one Config
 * Admin configuration per VM: at 10,000 VMs those cost ~1 KB of heap each and FileInstall's scans
 * of etc/ grew quadratic. It is in etc/, so it survives {@code bin/karaf clean}. The file is
 * replaced whole and durably on each change; a copy an operator edited while vAMT ran is kept aside
 * as {@code <file>.edited} (never silently overwritten) and the log says so.
 */
final class EndpointFile implements MachineEndpoints.Store {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(EndpointFile.class);
    private final Path file;
    /** Identities kept the way versions up to issue 21 kept them, one configuration per VM; null: none to look for. */
    private final LegacyEndpointConfigurations perVm;
    /** The file as this store last read or wrote it (modification time and size); null: no file then. */
    private Stamp seen;

    private record Stamp(java.nio.file.attribute.FileTime modified, long size) {
        static Stamp of(Path f) {
            try {
                return Files.exists(f) ? new Stamp(Files.getLastModifiedTime(f), Files.size(f)) : null;
            } catch (IOException e) {
                return null;
            }
        }
    }

    EndpointFile(Path file) {
        this(file, null);
    }

    EndpointFile(Path file, LegacyEndpointConfigurations perVm) {
        this.file = file;
        this.perVm = perVm;
    }

    Path file() {
        return file;
    }

    /**
     * Every kept identity. Per-VM configurations found (an upgrade, or an operator who pinned a VM
     * the old way) are taken in, winning over the file as they were the one source, written to the
     * file and then deleted.
     */
    @Override
    public synchronized Map<String, MachineEndpoints.Identity> load() {
        Map<String, MachineEndpoints.Identity> map = read();
        Map<String, MachineEndpoints.Identity> found = perVm == null ? Map.of() : perVm.load();
        if (!found.isEmpty()) {
            map.putAll(found);
            save(map.values());
            perVm.deleteAll();
            LOG.info("Endpoint identities of {} VMs taken from the per-VM configurations {} (etc/{}-<uuid>.cfg) "
                    + "into {}; those are deleted", found.size(), LegacyEndpointConfigurations.FACTORY_PID,
                    LegacyEndpointConfigurations.FACTORY_PID, file);
        }
        return map;
    }

    private Map<String, MachineEndpoints.Identity> read() {
        Map<String, MachineEndpoints.Identity> map = new HashMap<>();
        seen = Stamp.of(file);
        if (!Files.exists(file)) {
            return map;
        }
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(file)) {
            p.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the endpoint map " + file, e);
        }
        for (String name : p.stringPropertyNames()) {
            if (name.indexOf('.') >= 0) {
                continue;
            }
            String uuid = name.toLowerCase(Locale.ROOT);
            String address = p.getProperty(name).trim();
            String port = p.getProperty(name + ".port");
            map.put(uuid, new MachineEndpoints.Identity(uuid, p.getProperty(name + ".name"),
                    address.isEmpty() ? null : checked(address),
                    port == null ? 0 : Integer.parseInt(port.trim()), p.getProperty(name + ".hostName")));
        }
        return map;
    }

    private static String checked(String address) {
        return MachineEndpoints.text(MachineEndpoints.ipv4(address));
    }

    @Override
    public synchronized void save(Collection<MachineEndpoints.Identity> identities) {
        Stamp now = Stamp.of(file);
        if (now != null && !now.equals(seen)) {
            keepOperatorsEdit();
        }
        Properties p = sorted();
        for (MachineEndpoints.Identity i : identities) {
            String base = i.uuid().toLowerCase(Locale.ROOT);
            p.setProperty(base, i.address() == null ? "" : i.address());
            if (i.port() > 0) {
                p.setProperty(base + ".port", String.valueOf(i.port()));
            }
            if (i.hostName() != null) {
                p.setProperty(base + ".hostName", i.hostName());
            }
            if (i.name() != null) {
                p.setProperty(base + ".name", i.name());
            }
        }
        try {
            DurableFiles.replace(file, out -> p.store(out, "vAMT endpoints: <VM UUID> = address, "
                    + "<VM UUID>.port/.hostName/.name. vamt:endpoint-set changes them while vAMT runs; "
                    + "edit this file only while vAMT is stopped"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot save the endpoint map " + file, e);
        }
        seen = Stamp.of(file);
    }

    /** The file changed under vAMT (an operator's edit while it ran): kept aside, not lost. */
    private void keepOperatorsEdit() {
        Path aside = file.resolveSibling(file.getFileName() + ".edited");
        try {
            Files.copy(file, aside, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            LOG.warn("{} was changed while vAMT ran; that version is kept as {} and will not be read. Stop vAMT "
                    + "before editing the file, or use vamt:endpoint-set", file, aside);
        } catch (IOException e) {
            LOG.warn("{} was changed while vAMT ran and cannot be kept aside ({}); it is replaced", file,
                    e.getMessage());
        }
    }

    /** Properties written in key order: a VM's lines together, the file diffable. */
    private static Properties sorted() {
        return new Properties() {
            @Override
            public java.util.Set<Map.Entry<Object, Object>> entrySet() {
                java.util.TreeMap<Object, Object> byKey = new java.util.TreeMap<>(
                        java.util.Comparator.comparing(Object::toString));
                for (Map.Entry<Object, Object> e : super.entrySet()) {
                    byKey.put(e.getKey(), e.getValue());
                }
                return java.util.Collections.synchronizedSet(new java.util.LinkedHashSet<>(byKey.entrySet()));
            }
        };
    }
}
