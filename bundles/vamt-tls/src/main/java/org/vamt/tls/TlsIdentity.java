package org.vamt.tls;

import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;

/**
 * The TLS identity vAMT presents on its TLS ports (16993, later 16995): one key pair and its
 * certificate, plus the protocols and cipher suites every vAMT TLS listener enables. Registered
 * as an OSGi service by the vamt-tls bundle.
 */
public interface TlsIdentity {

    /** The server certificate first, then its issuers (only the certificate when self-signed). */
    List<X509Certificate> certificateChain();

    /** The server certificate. */
    default X509Certificate certificate() {
        return certificateChain().get(0);
    }

    /** The public half of the key pair the certificate certifies. */
    default PublicKey publicKey() {
        return certificate().getPublicKey();
    }

    /** Key managers that present exactly this identity. */
    KeyManager[] keyManagers();

    /**
     * A server-side SSLContext on {@link #keyManagers()}. Its defaults are the JDK's: apply
     * {@link #serverParameters()} to every engine or server socket made from it.
     */
    SSLContext sslContext();

    /** Enabled protocol versions, newest first (TLSv1.3, TLSv1.2). */
    List<String> protocols();

    /** Enabled cipher suites in server preference order, limited to those this JDK can negotiate. */
    List<String> cipherSuites();

    /** Protocols, suites and server-side suite ordering for one engine or server socket. */
    default SSLParameters serverParameters() {
        SSLParameters p = new SSLParameters(cipherSuites().toArray(String[]::new), protocols().toArray(String[]::new));
        p.setUseCipherSuitesOrder(true);
        p.setNeedClientAuth(false);
        return p;
    }

    /** SHA-1 over the DER certificate, colon-free uppercase hex: the fingerprint consoles record. */
    String sha1Fingerprint();
}
