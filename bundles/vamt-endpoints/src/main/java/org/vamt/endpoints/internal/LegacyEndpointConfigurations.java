package org.vamt.endpoints.internal;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Dictionary;
import java.util.HashMap;
import java.util.Hashtable;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Stream;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;

/**
 * Endpoint identities as versions up to issue 21 kept them: one Config Admin factory configuration
 * per VM (factory PID {@value #FACTORY_PID}, properties {@code uuid}, {@code name}, {@code address},
 * {@code port}, {@code hostName}), persisted by FileInstall as {@code etc/org.vamt.endpoint-<uuid>.cfg}.
 * With 10,000 VMs those were 10,000 configurations (about 1 KB of heap each) and 10,000 files
 * FileInstall scanned; the map now lives in one file ({@link EndpointFile}). What is found here (an
 * upgrade, or an operator pinning a VM the old way) is read once into that file and then deleted.
 */
final class LegacyEndpointConfigurations {
    static final String FACTORY_PID = "org.vamt.endpoint";
    private static final String FILE_PREFIX = FACTORY_PID + "-";

    /** Null outside OSGi. */
    private final ConfigurationAdmin configAdmin;
    /** Karaf's etc/, where the per-VM files are; null when there is none. */
    private final Path etc;

    LegacyEndpointConfigurations(ConfigurationAdmin configAdmin, Path etc) {
        this.configAdmin = configAdmin;
        this.etc = etc;
    }

    /**
     * Every per-VM identity, by lower-case UUID: the files in etc/ (read directly, whether or not
     * FileInstall has passed them to Config Admin yet) and Config Admin's configurations, which win.
     */
    Map<String, MachineEndpoints.Identity> load() {
        Map<String, MachineEndpoints.Identity> found = new HashMap<>();
        for (Path f : files()) {
            Properties p = new Properties();
            try (Reader r = Files.newBufferedReader(f, StandardCharsets.ISO_8859_1)) {
                p.load(r);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read the endpoint configuration " + f, e);
            }
            Hashtable<String, Object> d = new Hashtable<>();
            p.stringPropertyNames().forEach(k -> d.put(k, p.getProperty(k)));
            identity(d).ifPresent(i -> found.put(i.uuid(), i));
        }
        for (Configuration c : configurations()) {
            identity(c.getProperties()).ifPresent(i -> found.put(i.uuid(), i));
        }
        return found;
    }

    /** Deletes every per-VM configuration and file (after their identities are safely elsewhere). */
    void deleteAll() {
        try {
            for (Configuration c : configurations()) {
                c.delete();
            }
            for (Path f : files()) {
                Files.deleteIfExists(f);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete the per-VM endpoint configurations", e);
        }
    }

    private List<Configuration> configurations() {
        if (configAdmin == null) {
            return List.of();
        }
        try {
            Configuration[] all = configAdmin.listConfigurations("(service.factoryPid=" + FACTORY_PID + ")");
            return all == null ? List.of() : List.of(all);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the endpoint configurations", e);
        } catch (InvalidSyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private List<Path> files() {
        if (etc == null || !Files.isDirectory(etc)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(etc)) {
            return new ArrayList<>(s.filter(f -> {
                String n = f.getFileName().toString();
                return n.startsWith(FILE_PREFIX) && n.endsWith(".cfg");
            }).toList());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + etc, e);
        }
    }

    private static java.util.Optional<MachineEndpoints.Identity> identity(Dictionary<String, Object> p) {
        if (p == null || text(p.get("uuid")) == null) {
            return java.util.Optional.empty();
        }
        String uuid = text(p.get("uuid")).toLowerCase(Locale.ROOT);
        String port = text(p.get("port"));
        String address = text(p.get("address"));
        return java.util.Optional.of(new MachineEndpoints.Identity(uuid, text(p.get("name")),
                address == null ? null : MachineEndpoints.text(MachineEndpoints.ipv4(address)),
                port == null ? 0 : Integer.parseInt(port), text(p.get("hostName"))));
    }

    private static String text(Object o) {
        return o == null || o.toString().isBlank() ? null : o.toString().trim();
    }
}
