package org.vamt.itests;

import static org.junit.Assert.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A site CA and peer certificates for the node-gateway link, made with the JDK's keytool, written
 * in the link's file contract (docs/scale-out.md): {@code etc/vamt-link.p12} (alias vamt-link, the
 * peer's key with its chain), {@code etc/vamt-link.password}, {@code etc/vamt-link-ca.pem}. EC P-256,
 * {@code CN=<id>, O=vAMT link}, the extended key usage of the peer's role, SAN DNS=<id> and the peer's address.
 */
final class LinkCertificates {
    /** A peer's role, as its certificate's extended key usage says it (docs/scale-out.md, "Roles"). */
    enum Role {
        /** Serves the link: serverAuth only, so it cannot call other nodes. */
        NODE("serverAuth"),
        /** Calls nodes: clientAuth only. */
        GATEWAY("clientAuth");

        final String eku;

        Role(String eku) {
            this.eku = eku;
        }
    }

    private static final String CA_PASSWORD = "test-ca-password";
    private final Path dir;

    /** A new CA named {@code name}, its files under {@code dir}. */
    LinkCertificates(Path dir, String name) throws Exception {
        this.dir = dir;
        Files.createDirectories(dir);
        keytool("-genkeypair", "-alias", "ca", "-keyalg", "EC", "-groupname", "secp256r1", "-dname",
                "CN=" + name + ", O=vAMT link", "-ext", "bc:c", "-ext", "ku:c=keyCertSign,cRLSign", "-validity", "30",
                "-keystore", dir.resolve("ca.p12").toString(), "-storetype", "PKCS12", "-storepass", CA_PASSWORD);
        keytool("-exportcert", "-rfc", "-alias", "ca", "-keystore", dir.resolve("ca.p12").toString(), "-storepass",
                CA_PASSWORD, "-file", dir.resolve("ca.pem").toString());
    }

    /** Issues {@code id}'s link identity in {@code role} (for {@code address}) into {@code home}/etc. */
    void issue(Path home, String id, Role role, String address) throws Exception {
        Path etc = home.resolve("etc");
        String password = "link-" + id + "-password";
        Path keystore = etc.resolve("vamt-link.p12");
        Files.deleteIfExists(keystore);
        keytool("-genkeypair", "-alias", "vamt-link", "-keyalg", "EC", "-groupname", "secp256r1", "-dname",
                "CN=" + id + ", O=vAMT link", "-validity", "30", "-keystore", keystore.toString(), "-storetype",
                "PKCS12", "-storepass", password);
        Path csr = dir.resolve(id + ".csr");
        keytool("-certreq", "-alias", "vamt-link", "-keystore", keystore.toString(), "-storepass", password, "-file",
                csr.toString());
        Path cert = dir.resolve(id + ".pem");
        keytool("-gencert", "-rfc", "-alias", "ca", "-keystore", dir.resolve("ca.p12").toString(), "-storepass",
                CA_PASSWORD, "-infile", csr.toString(), "-outfile", cert.toString(), "-validity", "30",
                "-ext", "ku:c=digitalSignature", "-ext", "eku=" + role.eku,
                "-ext", "san=dns:" + id + ",ip:" + address);
        Path chain = dir.resolve(id + "-chain.pem");
        Files.writeString(chain, Files.readString(cert) + Files.readString(dir.resolve("ca.pem")));
        keytool("-importcert", "-noprompt", "-alias", "vamt-link", "-file", chain.toString(), "-keystore",
                keystore.toString(), "-storepass", password);
        Files.writeString(etc.resolve("vamt-link.password"), password + "\n");
        Files.copy(dir.resolve("ca.pem"), etc.resolve("vamt-link-ca.pem"),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    private static void keytool(String... args) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(Paths.get(System.getProperty("java.home"), "bin", "keytool").toString());
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("keytool " + args[0] + " did not finish");
        }
        assertEquals("keytool " + String.join(" ", args) + ": " + out, 0, p.exitValue());
    }
}
