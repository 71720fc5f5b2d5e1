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
 * Endpoint identities in a properties file, etc/vamt-endpoints.properties: {@code <uuid> = <address>}
 * (the first format, which scripts read), plus {@code <uuid>.port}, {@code <uuid>.hostName} and
 * {@code <uuid>.name}. Beside Config Admin it is the copy that survives {@code bin/karaf clean}
 * (which empties Config Admin's store in data/): when Config Admin holds no endpoint, the
 * identities come back from here.
 */
final class EndpointFile implements MachineEndpoints.Store {
    private final Path file;

    EndpointFile(Path file) {
        this.file = file;
    }

    Path file() {
        return file;
    }

    @Override
    public Map<String, MachineEndpoints.Identity> load() {
        Map<String, MachineEndpoints.Identity> map = new HashMap<>();
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
    public void save(Collection<MachineEndpoints.Identity> identities) {
        Properties p = new Properties();
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
            DurableFiles.replace(file, out -> p.store(out, "vAMT endpoints, a copy of the Config Admin factory "
                    + "configurations org.vamt.endpoint: <VM UUID> = address, <VM UUID>.port/.hostName/.name "
                    + "(vamt:endpoint-set changes them)"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot save the endpoint map " + file, e);
        }
    }
}
