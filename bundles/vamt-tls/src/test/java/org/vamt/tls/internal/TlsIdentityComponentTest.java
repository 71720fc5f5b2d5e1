package org.vamt.tls.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.security.interfaces.RSAPublicKey;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The TLS identity on a real file system: generated once, kept, or taken from an operator's keystore. */
class TlsIdentityComponentTest {
    @TempDir
    Path etc;

    private TlsIdentityComponent defaults() throws Exception {
        return new TlsIdentityComponent(etc.resolve("vamt-tls.p12"), "", etc.resolve("vamt-tls.password"), "vamt");
    }

    @Test
    void firstStartGeneratesAnRsa2048SelfSignedCertificateKeptOwnerOnly() throws Exception {
        TlsIdentityComponent identity = defaults();
        X509Certificate cert = identity.certificate();
        assertEquals(2048, ((RSAPublicKey) cert.getPublicKey()).getModulus().bitLength());
        cert.verify(cert.getPublicKey());
        assertEquals(cert.getSubjectX500Principal(), cert.getIssuerX500Principal());
        assertEquals("SHA256withRSA", cert.getSigAlgName());
        assertTrue(cert.getKeyUsage()[2], "keyEncipherment, which static-RSA suites need");
        assertEquals(List.of("1.3.6.1.5.5.7.3.1"), cert.getExtendedKeyUsage());
        assertEquals(HexFormat.of().withUpperCase().formatHex(MessageDigest.getInstance("SHA-1")
                .digest(cert.getEncoded())), identity.sha1Fingerprint());
        for (String file : List.of("vamt-tls.p12", "vamt-tls.password")) {
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(etc.resolve(file))),
                    file);
        }
        assertFalse(Files.exists(etc.resolve("vamt-tls.p12.tmp")));
    }

    @Test
    void restartKeepsTheCertificateAndFingerprint() throws Exception {
        TlsIdentityComponent first = defaults();
        TlsIdentityComponent second = defaults();
        assertEquals(first.certificate(), second.certificate());
        assertEquals(first.sha1Fingerprint(), second.sha1Fingerprint());
        assertEquals(first.publicKey(), second.publicKey());
    }

    @Test
    void anOperatorsKeystorePasswordAndAliasAreUsedAsTheyAre() throws Exception {
        KeyPairGenerator gen = KeyPairGenerator.getInstance("RSA");
        gen.initialize(3072);
        KeyPair real = gen.generateKeyPair();
        X509Certificate realCert = KeystoreIdentity.selfSigned(real);
        KeyPair other = gen.generateKeyPair();
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setKeyEntry("other", other.getPrivate(), "s3cret".toCharArray(),
                new Certificate[] {KeystoreIdentity.selfSigned(other)});
        ks.setKeyEntry("amt", real.getPrivate(), "s3cret".toCharArray(), new Certificate[] {realCert});
        Path file = etc.resolve("company.p12");
        try (OutputStream out = Files.newOutputStream(file)) {
            ks.store(out, "s3cret".toCharArray());
        }
        TlsIdentityComponent identity = new TlsIdentityComponent(file, "s3cret", etc.resolve("unused"), "amt");
        assertEquals(realCert, identity.certificate());
        assertFalse(Files.exists(etc.resolve("unused")), "a configured password needs no password file");
        GeneralSecurityException missing = assertThrows(GeneralSecurityException.class,
                () -> new TlsIdentityComponent(file, "s3cret", etc.resolve("unused"), "nope"));
        assertTrue(missing.getMessage().contains("nope"), missing.getMessage());
        assertThrows(java.io.IOException.class,
                () -> new TlsIdentityComponent(file, "", etc.resolve("no-such-password-file"), "amt"),
                "an existing keystore without a password is an error, not a new key");
    }

    @Test
    void policyIsTls13And12WithMeshCentralsSuitesAndNothingWeaker() throws Exception {
        TlsIdentityComponent identity = defaults();
        assertEquals(List.of("TLSv1.3", "TLSv1.2"), identity.protocols());
        assertTrue(identity.cipherSuites().containsAll(TlsPolicy.MESHCENTRAL_TLS12_SUITES),
                "this JDK allows the static-RSA GCM suites: " + identity.cipherSuites());
        assertTrue(identity.cipherSuites().contains("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"));
        for (String suite : identity.cipherSuites()) {
            assertTrue(suite.contains("_GCM_") || suite.contains("CHACHA20_POLY1305"), suite);
        }
        assertTrue(identity.cipherSuites().indexOf("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256")
                < identity.cipherSuites().indexOf("TLS_RSA_WITH_AES_128_GCM_SHA256"), "forward secrecy first");
        assertTrue(identity.serverParameters().getUseCipherSuitesOrder());
        assertNotEquals(0, identity.keyManagers().length);
    }
}
