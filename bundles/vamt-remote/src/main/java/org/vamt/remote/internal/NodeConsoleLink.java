package org.vamt.remote.internal;

import java.nio.file.Path;
import java.nio.file.Paths;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vamt.hypervisor.Hypervisor;
import org.vamt.remote.internal.link.LinkTls;

/**
 * The node role's console link listener ({@link ConsoleLinkServer}): SOL and KVM of this host's
 * VMs for the gateways, over mutual TLS with the site's link certificates. Active on nodes only
 * (it needs {@code org.vamt.remote.node}); it listens on the node's {@code bindAddress} of
 * {@code org.vamt.remote}, at {@code consolePort} (0: the link port + 1), and {@link NodeExport}
 * tells gateways where ({@link NodeExport#consoleLink()}).
 */
@Component(service = NodeConsoleLink.class, immediate = true,
        configurationPid = {NodeExport.PID, NodeConsoleLink.LINK_PID}, configurationPolicy = ConfigurationPolicy.REQUIRE)
public class NodeConsoleLink {
    static final String LINK_PID = "org.vamt.remote";
    private static final Logger LOG = LoggerFactory.getLogger(NodeConsoleLink.class);
    static final int HEARTBEAT_MILLIS = 2_000;

    @ObjectClassDefinition(name = "vAMT node console link")
    public @interface Config {
        @AttributeDefinition(description = "The management address (org.vamt.remote); never the wildcard")
        String bindAddress() default "127.0.0.1";

        @AttributeDefinition(description = "Address gateways are told to connect to; empty = bindAddress")
        String advertisedAddress() default "";

        @AttributeDefinition(description = "The link's port (org.vamt.remote)")
        int port() default 16900;

        @AttributeDefinition(description = "TCP port of the console link (SOL/KVM for gateways); 0 = port + 1")
        int consolePort() default 0;

        @AttributeDefinition(description = "Longest wait for the VM's VNC display, in ms")
        int connectTimeoutMillis() default 1000;
    }

    private final ConsoleLinkServer server;
    private final String advertised;

    @Activate
    public NodeConsoleLink(@Reference(target = "(!(service.imported=*))") Hypervisor local, Config config)
            throws Exception {
        this(local, Paths.get(System.getProperty("karaf.etc", "etc")), config.bindAddress().trim(),
                config.advertisedAddress(), config.consolePort() > 0 ? config.consolePort() : config.port() + 1,
                HEARTBEAT_MILLIS, Math.max(100, config.connectTimeoutMillis()));
    }

    NodeConsoleLink(Hypervisor local, Path etc, String bind, String advertisedAddress, int port, int heartbeatMillis,
                    int connectTimeoutMillis) throws Exception {
        try {
            server = new ConsoleLinkServer(local, bind, port, LinkTls.load(etc).sslContext(), heartbeatMillis,
                    connectTimeoutMillis);
        } catch (Exception e) {
            LOG.error("vAMT node: no console link (SOL/KVM through gateways stay off): {}", e.getMessage());
            throw e;
        }
        String host = advertisedAddress == null || advertisedAddress.isBlank() ? bind : advertisedAddress.trim();
        advertised = (host.contains(":") ? "[" + host + "]" : host) + ":" + server.port();
        LOG.info("vAMT node: console link for gateways listening on {}:{} (mutual TLS)", bind, server.port());
    }

    /** "host:port" gateways connect to. */
    String advertised() {
        return advertised;
    }

    @Deactivate
    void deactivate() {
        server.close();
    }
}
