package org.vamt.endpoints.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Dictionary;
import java.util.HashMap;
import java.util.Hashtable;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;

/**
 * Endpoint identities as Config Admin factory configurations, one per VM: factory PID
 * {@value #FACTORY_PID}, named after the VM's UUID (PID {@code org.vamt.endpoint~<uuid>}), with
 * {@code uuid}, {@code name}, {@code address}, {@code port} and {@code hostName}. Config Admin is
 * their one home; {@code config:list "(service.factoryPid=org.vamt.endpoint)"} shows them. In
 * Karaf they are persisted the way Karaf persists every operator setting, as
 * {@code etc/org.vamt.endpoint-<uuid>.cfg} kept by Felix FileInstall (which writes changes back and
 * deletes the file with the configuration), so they survive {@code bin/karaf clean}. Only
 * identities that changed are written.
 */
final class EndpointConfigurations implements MachineEndpoints.Store {
    static final String FACTORY_PID = "org.vamt.endpoint";

    /** FileInstall's property naming the file a configuration is kept in. */
    static final String FILEINSTALL_FILENAME = "felix.fileinstall.filename";

    private final ConfigurationAdmin configAdmin;
    /** Karaf's etc/, where FileInstall keeps configurations; null outside Karaf (no files). */
    private final Path etc;
    /** What Config Admin holds, by lower-case UUID, as last read or written. */
    private final Map<String, MachineEndpoints.Identity> written = new HashMap<>();

    EndpointConfigurations(ConfigurationAdmin configAdmin, Path etc) {
        this.configAdmin = configAdmin;
        this.etc = etc;
    }

    @Override
    public synchronized Map<String, MachineEndpoints.Identity> load() {
        written.clear();
        try {
            Configuration[] all = configAdmin.listConfigurations("(service.factoryPid=" + FACTORY_PID + ")");
            if (all != null) {
                for (Configuration c : all) {
                    Dictionary<String, Object> p = c.getProperties();
                    if (p == null || p.get("uuid") == null) {
                        continue;
                    }
                    String uuid = p.get("uuid").toString().toLowerCase(Locale.ROOT);
                    Object port = p.get("port");
                    written.put(uuid, new MachineEndpoints.Identity(uuid, text(p.get("name")), text(p.get("address")),
                            port == null ? 0 : Integer.parseInt(port.toString().trim()), text(p.get("hostName"))));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the endpoint configurations", e);
        } catch (InvalidSyntaxException e) {
            throw new IllegalStateException(e);
        }
        return new HashMap<>(written);
    }

    private static String text(Object o) {
        return o == null || o.toString().isBlank() ? null : o.toString().trim();
    }

    @Override
    public synchronized void save(Collection<MachineEndpoints.Identity> identities) {
        Map<String, MachineEndpoints.Identity> wanted = new HashMap<>();
        identities.forEach(i -> wanted.put(i.uuid().toLowerCase(Locale.ROOT), i));
        try {
            for (Map.Entry<String, MachineEndpoints.Identity> e : wanted.entrySet()) {
                if (!Objects.equals(written.get(e.getKey()), e.getValue())) {
                    configuration(e.getKey()).update(persisted(e.getKey(), properties(e.getValue())));
                    written.put(e.getKey(), e.getValue());
                }
            }
            for (String gone : written.keySet().stream().filter(u -> !wanted.containsKey(u)).toList()) {
                configuration(gone).delete();
                if (etc != null) {
                    Files.deleteIfExists(file(gone));
                }
                written.remove(gone);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot save the endpoint configurations", e);
        }
    }

    private Path file(String uuid) {
        return etc.resolve(FACTORY_PID + "-" + uuid + ".cfg");
    }

    /**
     * In Karaf: the file FileInstall keeps the configuration in. It must exist for FileInstall to
     * write the configuration back, so it is written here first, with the same content.
     */
    private Dictionary<String, Object> persisted(String uuid, Dictionary<String, Object> p) throws IOException {
        if (etc == null) {
            return p;
        }
        Path f = file(uuid);
        Properties text = new Properties();
        for (java.util.Enumeration<String> k = p.keys(); k.hasMoreElements(); ) {
            String key = k.nextElement();
            text.setProperty(key, String.valueOf(p.get(key)));
        }
        try (java.io.Writer w = Files.newBufferedWriter(f, java.nio.charset.StandardCharsets.ISO_8859_1)) {
            text.store(w, "vAMT endpoint of VM " + uuid + " (vamt:endpoint-set changes it)");
        }
        p.put(FILEINSTALL_FILENAME, f.toUri().toString());
        return p;
    }

    private Configuration configuration(String uuid) throws IOException {
        // "?" binds the configuration to no bundle in particular: the shell and others may read it
        return configAdmin.getFactoryConfiguration(FACTORY_PID, uuid, "?");
    }

    private static Dictionary<String, Object> properties(MachineEndpoints.Identity i) {
        Hashtable<String, Object> p = new Hashtable<>();
        p.put("uuid", i.uuid().toLowerCase(Locale.ROOT));
        if (i.name() != null) {
            p.put("name", i.name());
        }
        if (i.address() != null) {
            p.put("address", i.address());
        }
        if (i.port() > 0) {
            p.put("port", i.port());
        }
        if (i.hostName() != null) {
            p.put("hostName", i.hostName());
        }
        return p;
    }
}
