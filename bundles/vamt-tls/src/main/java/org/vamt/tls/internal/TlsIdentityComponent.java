package org.vamt.tls.internal;

import org.vamt.security.files.DurableFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.List;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vamt.tls.TlsIdentity;

/**
 * Publishes vAMT's {@link TlsIdentity}. By default the key and a self-signed certificate are
 * generated on first start into {@code ${karaf.etc}/vamt-tls.p12}, with the keystore password in
 * {@code ${karaf.etc}/vamt-tls.password} (both readable by the owner only); an operator points
 * the configuration at a keystore with a real certificate instead.
 */
@Component(service = TlsIdentity.class, configurationPid = TlsIdentityComponent.PID,
        configurationPolicy = ConfigurationPolicy.OPTIONAL)
@Designate(ocd = TlsIdentityComponent.Config.class)
public class TlsIdentityComponent implements TlsIdentity {
    static final String PID = "org.vamt.tls";
    private static final Logger LOG = LoggerFactory.getLogger(TlsIdentityComponent.class);

    @ObjectClassDefinition(name = "vAMT TLS identity", description = "Key and certificate of vAMT's TLS ports")
    public @interface Config {
        @AttributeDefinition(description = "PKCS12 keystore; empty = ${karaf.etc}/vamt-tls.p12. Generated with a "
                + "self-signed certificate when the file does not exist")
        String keystore() default "";

        @AttributeDefinition(description = "Keystore (and key) password; empty = read from passwordFile",
                type = org.osgi.service.metatype.annotations.AttributeType.PASSWORD)
        String keystorePassword() default "";

        @AttributeDefinition(description = "File holding the keystore password; empty = ${karaf.etc}/vamt-tls.password. "
                + "Generated (owner-only) together with the keystore")
        String passwordFile() default "";

        @AttributeDefinition(description = "Alias of the key entry to present")
        String alias() default "vamt";
    }

    private final KeystoreIdentity identity;

    @Activate
    public TlsIdentityComponent(Config config) throws IOException, GeneralSecurityException {
        this(config.keystore().isBlank() ? etc().resolve("vamt-tls.p12") : Paths.get(config.keystore()),
                config.keystorePassword(),
                config.passwordFile().isBlank() ? etc().resolve("vamt-tls.password") : Paths.get(config.passwordFile()),
                config.alias());
    }

    TlsIdentityComponent(Path keystore, String keystorePassword, Path passwordFile, String alias)
            throws IOException, GeneralSecurityException {
        boolean existed = Files.exists(keystore);
        char[] password = password(keystorePassword, passwordFile, existed);
        identity = KeystoreIdentity.openOrCreate(keystore, password, alias);
        X509Certificate cert = identity.certificate();
        LOG.info("TLS identity {} from {}: subject '{}', SHA-1 {}, valid until {}",
                existed ? "loaded" : "generated", keystore, cert.getSubjectX500Principal().getName(),
                identity.sha1Fingerprint(), cert.getNotAfter().toInstant());
        List<String> refused = TlsPolicy.refused(identity.sslContext());
        if (refused.stream().anyMatch(TlsPolicy.MESHCENTRAL_TLS12_SUITES::contains)) {
            LOG.warn("This JDK refuses the TLS suites {} (security property jdk.tls.disabledAlgorithms); MeshCentral "
                    + "can then reach 16993 only with TLS 1.3. To allow them, start Karaf with "
                    + "-Djava.security.properties=<file> overriding jdk.tls.disabledAlgorithms", refused);
        } else if (!refused.isEmpty()) {
            LOG.info("TLS suites this JDK does not offer: {}", refused);
        }
    }

    private static char[] password(String configured, Path file, boolean keystoreExists) throws IOException {
        if (!configured.isEmpty()) {
            return configured.toCharArray();
        }
        if (Files.exists(file)) {
            return Files.readString(file, StandardCharsets.UTF_8).strip().toCharArray();
        }
        if (keystoreExists) {
            throw new IOException("keystore exists but neither keystorePassword nor " + file + " gives its password");
        }
        byte[] random = new byte[24];
        new SecureRandom().nextBytes(random);
        String generated = Base64.getUrlEncoder().withoutPadding().encodeToString(random);
        DurableFiles.replace(file, (generated + "\n").getBytes(StandardCharsets.UTF_8));
        return generated.toCharArray();
    }

    private static Path etc() {
        return Paths.get(System.getProperty("karaf.etc", "etc"));
    }

    @Override
    public List<X509Certificate> certificateChain() {
        return identity.certificateChain();
    }

    @Override
    public KeyManager[] keyManagers() {
        return identity.keyManagers();
    }

    @Override
    public SSLContext sslContext() {
        return identity.sslContext();
    }

    @Override
    public List<String> protocols() {
        return identity.protocols();
    }

    @Override
    public List<String> cipherSuites() {
        return identity.cipherSuites();
    }

    @Override
    public String sha1Fingerprint() {
        return identity.sha1Fingerprint();
    }
}
