package org.vamt.remote.internal;

import java.io.IOException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateParsingException;
import java.util.Hashtable;
import java.util.Optional;
import org.apache.cxf.feature.Feature;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vamt.remote.internal.link.LinkTls;
import org.vamt.remote.internal.link.PeerRole;

/**
 * Turns the link on when this peer has its TLS material ({@code etc/vamt-link*}, see LinkTls):
 * registers the {@value MutualTlsIntent#NAME} intent that CXF DOSGi applies to the node's export
 * and to every gateway's import. Without the material, remote services stay off, said in one log line
 * that names the missing file and the command that makes it.
 */
@Component(service = {}, immediate = true, configurationPid = LinkTransport.PID,
        configurationPolicy = ConfigurationPolicy.OPTIONAL)
@Designate(ocd = LinkTransport.Config.class)
public class LinkTransport {
    static final String PID = "org.vamt.remote";
    private static final Logger LOG = LoggerFactory.getLogger(LinkTransport.class);

    @ObjectClassDefinition(name = "vAMT remote services", description = "The HTTPS link between vAMT nodes and gateways")
    public @interface Config {
        @AttributeDefinition(description = "Address a node serves the link on: its management network address. "
                + "Never the wildcard.")
        String bindAddress() default "127.0.0.1";

        @AttributeDefinition(description = "Address gateways are told to call; empty = bindAddress")
        String advertisedAddress() default "";

        @AttributeDefinition(description = "HTTPS port a node serves the link on")
        int port() default 16900;

        @AttributeDefinition(description = "TCP port a node serves its console link on (SOL/KVM for gateways), on "
                + "bindAddress; 0 = port + 1")
        int consolePort() default 0;

        @AttributeDefinition(description = "Longest wait for a connection to a node, in ms")
        int connectTimeoutMillis() default 1000;

        @AttributeDefinition(description = "Longest wait for a node's answer, in ms (a dead or hung node fails "
                + "the call after this)")
        int callTimeoutMillis() default 3000;
    }

    private ServiceRegistration<?> intent;

    @Activate
    public LinkTransport(Config config, BundleContext context) {
        Path etc = Paths.get(System.getProperty("karaf.etc", "etc"));
        LinkTls tls;
        try {
            tls = LinkTls.load(etc);
        } catch (IOException | GeneralSecurityException e) {
            LOG.error("vAMT remote services stay off: {}", e.getMessage());
            return;
        }
        MutualTlsIntent feature = new MutualTlsIntent(tls, config.bindAddress(), config.advertisedAddress(),
                config.port(), config.consolePort(), config.connectTimeoutMillis(), config.callTimeoutMillis());
        Hashtable<String, Object> properties = new Hashtable<>();
        properties.put(MutualTlsIntent.INTENT_PROPERTY, MutualTlsIntent.NAME);
        // CXF adds every Feature service to every bus it makes (WS-Man's too) unless it is private
        properties.put("org.apache.cxf.bus.private.extension", Boolean.TRUE);
        intent = context.registerService(new String[] {Feature.class.getName(), MutualTlsIntent.class.getName()},
                feature, properties);
        LOG.info("vAMT link: this peer is '{}', role {} (certificate of the site CA {}); mutual TLS on every node link",
                LinkTls.peerId(tls.certificate()), PeerRole.describe(tls.certificate()),
                tls.certificate().getIssuerX500Principal().getName());
        warnOfWrongRole(etc, tls);
    }

    /** A certificate whose role does not fit this peer works nowhere: said once, where the operator looks. */
    private static void warnOfWrongRole(Path etc, LinkTls tls) {
        Optional<PeerRole> needed = PeerRole.ofPeer(etc);
        Optional<PeerRole> has;
        try {
            has = PeerRole.of(tls.certificate());
        } catch (CertificateParsingException e) {
            has = Optional.empty();
        }
        if (needed.isPresent() && (has.isEmpty() || !has.get().covers(needed.get()))) {
            LOG.error("vAMT link: this peer is a {} but its link certificate's role is {}: the other peers refuse it; "
                    + "install one issued with vamt:link-cert-issue --role {}", needed.get().label(),
                    PeerRole.describe(tls.certificate()), needed.get().label());
        }
    }

    @Deactivate
    void deactivate() {
        if (intent != null) {
            intent.unregister();
        }
    }
}
