package org.vamt.remote.internal;

import java.io.IOException;
import java.lang.reflect.Proxy;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import org.apache.aries.rsa.spi.DistributionProvider;
import org.apache.aries.rsa.spi.Endpoint;
import org.apache.aries.rsa.spi.IntentUnsatisfiedException;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.AttributeType;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.osgi.service.remoteserviceadmin.EndpointDescription;
import org.osgi.service.remoteserviceadmin.RemoteConstants;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Aries RSA distribution provider for config type {@value #CONFIG_TYPE}: Java serialization over
 * TCP like Aries' own {@code aries.tcp}, but bound to the configured management address (Aries
 * RSA 1.16.1's TCP provider ignores its bind address and listens on every interface), with mutual
 * shared-secret authentication before any deserialization, a class allow-list, and bounded call
 * times. Without a secret of at least 16 characters nothing is exported or imported.
 */
@Component(service = DistributionProvider.class, configurationPid = SecureTcpProvider.PID,
        configurationPolicy = ConfigurationPolicy.REQUIRE, property = {
                "remote.configs.supported=" + SecureTcpProvider.CONFIG_TYPE,
                "remote.intents.supported=osgi.basic"})
@Designate(ocd = SecureTcpProvider.Config.class)
public class SecureTcpProvider implements DistributionProvider {
    static final String PID = "org.vamt.remote";
    static final String CONFIG_TYPE = "vamt.tcp";
    private static final Logger LOG = LoggerFactory.getLogger(SecureTcpProvider.class);

    @ObjectClassDefinition(name = "vAMT remote services", description = "Transport between vAMT nodes and gateways")
    public @interface Config {
        @AttributeDefinition(description = "Shared secret of every node and gateway of the site (16+ characters); "
                + "keep this file readable by the vAMT user only", type = AttributeType.PASSWORD)
        String secret() default "";

        @AttributeDefinition(description = "Address a node serves remote calls on: its management network address. "
                + "Never the wildcard.")
        String bindAddress() default "127.0.0.1";

        @AttributeDefinition(description = "Address gateways are told to call; empty = bindAddress")
        String advertisedAddress() default "";

        @AttributeDefinition(description = "TCP port a node serves remote calls on")
        int port() default 16900;

        @AttributeDefinition(description = "Longest wait for a connection to a node, in ms")
        int connectTimeoutMillis() default 1000;

        @AttributeDefinition(description = "Longest wait for a node's answer, in ms (a dead or hung node fails "
                + "the call after this)")
        int callTimeoutMillis() default 3000;
    }

    private final byte[] secret;
    private final String bindAddress;
    private final String advertisedAddress;
    private final int port;
    private final int connectTimeoutMillis;
    private final int callTimeoutMillis;
    private RemoteServer server;

    @Activate
    public SecureTcpProvider(Config config) {
        this(config.secret(), config.bindAddress(), config.advertisedAddress(), config.port(),
                config.connectTimeoutMillis(), config.callTimeoutMillis());
    }

    SecureTcpProvider(String secret, String bindAddress, String advertisedAddress, int port, int connectTimeoutMillis,
                      int callTimeoutMillis) {
        if (secret == null || secret.length() < 16) {
            throw new IllegalArgumentException("PID " + PID + ": secret must be set and at least 16 characters; "
                    + "remote services stay off");
        }
        this.secret = secret.getBytes(StandardCharsets.UTF_8);
        this.bindAddress = bindAddress.trim();
        this.advertisedAddress = advertisedAddress == null || advertisedAddress.isBlank() ? this.bindAddress
                : advertisedAddress.trim();
        this.port = port;
        this.connectTimeoutMillis = Math.max(100, connectTimeoutMillis);
        this.callTimeoutMillis = Math.max(100, callTimeoutMillis);
    }

    @Override
    public String[] getSupportedTypes() {
        return new String[] {CONFIG_TYPE};
    }

    @Override
    public synchronized Endpoint exportService(Object service, BundleContext context, Map<String, Object> properties,
                                               Class[] interfaces) {
        if (interfaces.length != 1) {
            LOG.warn("vamt.tcp exports exactly one interface per service, not {}", interfaces.length);
            return null;
        }
        try {
            if (server == null) {
                server = new RemoteServer(bindAddress, port, secret);
                LOG.info("vAMT remote services listening on {}:{}", bindAddress, server.port());
            }
        } catch (IOException | RuntimeException e) {
            LOG.error("Cannot serve remote calls on {}:{}: {}", bindAddress, port, e.toString());
            return null;
        }
        // the core passes the service id as endpoint.service.id; service.id when called directly
        Object serviceId = properties.getOrDefault(RemoteConstants.ENDPOINT_SERVICE_ID,
                properties.get(Constants.SERVICE_ID));
        String key = serviceId != null ? String.valueOf(serviceId) : java.util.UUID.randomUUID().toString();
        String id = CONFIG_TYPE + "://" + advertisedAddress + ":" + server.port() + "/" + key;
        Map<String, Object> description = new HashMap<>(properties);
        description.put(RemoteConstants.ENDPOINT_ID, id);
        description.put(RemoteConstants.SERVICE_IMPORTED_CONFIGS, CONFIG_TYPE);
        description.put(RemoteConstants.SERVICE_EXPORTED_CONFIGS, "");
        description.put(RemoteConstants.SERVICE_INTENTS, new String[] {"osgi.basic"});
        description.put(Constants.OBJECTCLASS, new String[] {interfaces[0].getName()});
        RemoteServer current = server;
        current.add(key, service, interfaces[0]);
        EndpointDescription endpoint = new EndpointDescription(description);
        LOG.info("Exported {} as {}", interfaces[0].getName(), id);
        return new Endpoint() {
            @Override
            public EndpointDescription description() {
                return endpoint;
            }

            @Override
            public void close() {
                synchronized (SecureTcpProvider.this) {
                    current.remove(key);
                    if (current == server && current.isEmpty()) {
                        current.close();
                        server = null;
                    }
                }
            }
        };
    }

    @Override
    public Object importEndpoint(ClassLoader loader, BundleContext context, Class[] interfaces,
                                 EndpointDescription endpoint) throws IntentUnsatisfiedException {
        URI uri = URI.create(endpoint.getId());
        if (!CONFIG_TYPE.equals(uri.getScheme()) || uri.getHost() == null || uri.getPort() < 1) {
            throw new IllegalArgumentException("not a vamt.tcp endpoint: " + endpoint.getId());
        }
        String key = uri.getPath().substring(1);
        RemoteClient client = new RemoteClient(uri.getHost(), uri.getPort(), key, secret, connectTimeoutMillis,
                callTimeoutMillis, loader);
        return Proxy.newProxyInstance(loader, interfaces, client);
    }

    @Deactivate
    synchronized void deactivate() {
        if (server != null) {
            server.close();
            server = null;
        }
    }
}
