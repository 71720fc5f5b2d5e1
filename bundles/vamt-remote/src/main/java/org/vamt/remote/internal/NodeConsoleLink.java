package org.vamt.remote.internal;

import java.nio.file.Path;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vamt.hypervisor.Hypervisor;
import org.vamt.remote.internal.link.LinkTls;

/**
 * The node role's console link listener ({@link ConsoleLinkServer}): SOL, KVM and IDE-R media of
 * this host's VMs for the gateways, over mutual TLS with the site's link certificates. Active on nodes only
 * (it needs {@code org.vamt.remote.node}) with the link's material; it listens on the node's
 * {@code bindAddress} of {@code org.vamt.remote}, at {@code consolePort} (0: the link port + 1), and {@link NodeExport}
 * tells gateways where ({@link NodeExport#consoleLink()}).
 */
@Component(service = NodeConsoleLink.class, immediate = true, configurationPid = NodeExport.PID,
        configurationPolicy = ConfigurationPolicy.REQUIRE)
public class NodeConsoleLink {
    private static final Logger LOG = LoggerFactory.getLogger(NodeConsoleLink.class);
    static final int HEARTBEAT_MILLIS = 2_000;

    private final ConsoleLinkServer server;
    private final String advertised;

    /** Addresses, ports and TLS material are the link's ({@code org.vamt.remote}, {@link LinkTransport}). */
    @Activate
    public NodeConsoleLink(@Reference(target = "(!(service.imported=*))") Hypervisor local,
                           @Reference MutualTlsIntent link) throws Exception {
        this(local, link.tls(), link.bindAddress(), link.advertisedAddress(), link.consolePort(), HEARTBEAT_MILLIS,
                link.connectTimeoutMillis());
    }

    NodeConsoleLink(Hypervisor local, Path etc, String bind, String advertisedAddress, int port, int heartbeatMillis,
                    int connectTimeoutMillis) throws Exception {
        this(local, LinkTls.load(etc), bind, advertisedAddress, port, heartbeatMillis, connectTimeoutMillis);
    }

    NodeConsoleLink(Hypervisor local, LinkTls tls, String bind, String advertisedAddress, int port,
                    int heartbeatMillis, int connectTimeoutMillis) throws Exception {
        try {
            server = new ConsoleLinkServer(local, bind, port, tls.sslContext(), heartbeatMillis,
                    Math.max(100, connectTimeoutMillis));
        } catch (Exception e) {
            LOG.error("vAMT node: no console link (SOL/KVM through gateways stay off): {}", e.getMessage());
            throw e;
        }
        String host = advertisedAddress == null || advertisedAddress.isBlank() ? bind : advertisedAddress.trim();
        advertised = (host.contains(":") ? "[" + host + "]" : host) + ":" + server.port();
        LOG.info("vAMT node: console link for gateways listening on {}:{} (mutual TLS)", bind, server.port());
    }

    /** Puts a gateway's IDE-R medium in the VM's drive: only a media door this link opened for that VM. */
    void insertMedia(String uuid, org.vamt.hypervisor.NetworkMedia media)
            throws org.vamt.hypervisor.HypervisorException {
        server.media.insert(uuid, media);
    }

    void ejectMedia(String uuid) throws org.vamt.hypervisor.HypervisorException {
        server.media.eject(uuid);
    }

    /** For tests: the media doors open now. */
    int openMediaDoors() {
        return server.media.openDoors();
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
