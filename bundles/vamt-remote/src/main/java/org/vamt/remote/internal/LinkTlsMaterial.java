package org.vamt.remote.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * TEMPORARY stand-in for {@code org.vamt.remote.internal.link.LinkTls} (being written on main):
 * the SSLContext of the link TLS material in {@code etc} (vamt-link.p12 + vamt-link.password,
 * trust = vamt-link-ca.pem only). Replaced by LinkTls at merge.
 */
final class LinkTlsMaterial {
    private LinkTlsMaterial() {
    }

    static SSLContext sslContext(Path etc) throws IOException, GeneralSecurityException {
        Path p12 = etc.resolve("vamt-link.p12");
        Path passwordFile = etc.resolve("vamt-link.password");
        Path ca = etc.resolve("vamt-link-ca.pem");
        for (Path p : new Path[] {p12, passwordFile, ca}) {
            if (!Files.isRegularFile(p)) {
                throw new IOException("no link TLS material: " + p + " is missing");
            }
        }
        char[] password = Files.readString(passwordFile, StandardCharsets.UTF_8).trim().toCharArray();
        KeyStore keys = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(p12)) {
            keys.load(in, password);
        }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(keys, password);
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        try (InputStream in = Files.newInputStream(ca)) {
            trust.setCertificateEntry("vamt-link-ca",
                    (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
        return context;
    }
}
