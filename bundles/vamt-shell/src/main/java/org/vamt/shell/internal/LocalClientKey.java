package org.vamt.shell.internal;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Pattern;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vamt.security.files.DurableFiles;

/**
 * The local operator's key for {@code bin/client}: an RSA key made on first start in
 * {@code etc/vamt-client.key} (PKCS#8 PEM, mode 600, so only the account that runs vAMT, and
 * root, can use it) and its public half registered for the shell user {@value #USER} in Karaf's
 * {@code etc/keys.properties} (public-key login to the SSH console on loopback, admin group).
 * {@code bin/client} passes this key when the operator gives no user, password or key of their
 * own, so nobody edits a password file to use the shell. Deleting the key file makes a new one
 * at the next start and replaces the registered public key.
 */
@Component(immediate = true)
public class LocalClientKey {
    static final String USER = "vamt-local";
    static final String KEY_FILE = "vamt-client.key";
    static final String KEYS_FILE = "keys.properties";
    private static final String ADMIN_GROUP = "_g_\\:admingroup = group,admin,manager,viewer,systembundles,ssh";
    private static final Pattern USER_LINE = Pattern.compile("\\s*" + Pattern.quote(USER) + "\\s*[=:].*");
    private static final Pattern ADMIN_GROUP_LINE = Pattern.compile("\\s*_g_\\\\:admingroup\\s*[=:].*");
    private static final Logger LOG = LoggerFactory.getLogger(LocalClientKey.class);

    @Activate
    void activate() {
        Path etc = Paths.get(System.getProperty("karaf.etc", "etc"));
        try {
            if (ensure(etc)) {
                LOG.info("Made the local shell key {} for bin/client (user {})", etc.resolve(KEY_FILE), USER);
            }
        } catch (IOException | GeneralSecurityException e) {
            LOG.warn("Cannot set up the local shell key in {}: {}; bin/client then asks for a user and password",
                    etc, e.toString());
        }
    }

    /**
     * Makes sure {@code etc/vamt-client.key} exists and its public key is {@value #USER}'s in
     * {@code etc/keys.properties}, both owner-only. Returns true when a new key was made.
     */
    static synchronized boolean ensure(Path etc) throws IOException, GeneralSecurityException {
        Path keyFile = etc.resolve(KEY_FILE);
        Path keysFile = etc.resolve(KEYS_FILE);
        RSAPrivateCrtKey key = null;
        if (Files.isRegularFile(keyFile)) {
            try {
                key = read(keyFile);
            } catch (IOException | GeneralSecurityException unreadable) {
                LOG.warn("{} is not a PKCS#8 RSA key ({}); making a new one", keyFile, unreadable.getMessage());
            }
        }
        boolean made = false;
        if (key == null) {
            KeyPairGenerator gen = KeyPairGenerator.getInstance("RSA");
            gen.initialize(3072, new SecureRandom());
            KeyPair pair = gen.generateKeyPair();
            key = (RSAPrivateCrtKey) pair.getPrivate();
            String pem = "-----BEGIN PRIVATE KEY-----\n"
                    + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(key.getEncoded())
                    + "\n-----END PRIVATE KEY-----\n";
            DurableFiles.replace(keyFile, pem.getBytes(StandardCharsets.US_ASCII));
            made = true;
        } else {
            DurableFiles.restrictToOwner(keyFile);
        }
        String entry = USER + " = " + sshPublicKey(key) + ",_g_:admingroup";
        List<String> lines = Files.isRegularFile(keysFile)
                ? new ArrayList<>(Files.readAllLines(keysFile, StandardCharsets.ISO_8859_1)) : new ArrayList<>();
        List<String> wanted = new ArrayList<>();
        for (String line : lines) {
            if (!USER_LINE.matcher(line).matches()) {
                wanted.add(line);
            }
        }
        wanted.add(entry);
        if (wanted.stream().noneMatch(l -> ADMIN_GROUP_LINE.matcher(l).matches())) {
            wanted.add(ADMIN_GROUP);
        }
        if (!wanted.equals(lines)) {
            DurableFiles.replace(keysFile, (String.join("\n", wanted) + "\n").getBytes(StandardCharsets.ISO_8859_1));
        } else {
            DurableFiles.restrictToOwner(keysFile);
        }
        return made;
    }

    static RSAPrivateCrtKey read(Path keyFile) throws IOException, GeneralSecurityException {
        String pem = Files.readString(keyFile, StandardCharsets.US_ASCII);
        int begin = pem.indexOf("-----BEGIN PRIVATE KEY-----");
        int end = pem.indexOf("-----END PRIVATE KEY-----");
        if (begin < 0 || end < begin) {
            throw new IOException("no PRIVATE KEY block");
        }
        byte[] der = Base64.getMimeDecoder().decode(pem.substring(begin + 27, end));
        return (RSAPrivateCrtKey) KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(der));
    }

    /** The public key as OpenSSH writes it after "ssh-rsa " (RFC 4253 6.6), as Karaf's keys.properties holds it. */
    static String sshPublicKey(RSAPrivateCrtKey key) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        byte[] type = "ssh-rsa".getBytes(StandardCharsets.US_ASCII);
        out.writeInt(type.length);
        out.write(type);
        for (BigInteger i : new BigInteger[] {key.getPublicExponent(), key.getModulus()}) {
            byte[] mpint = i.toByteArray();
            out.writeInt(mpint.length);
            out.write(mpint);
        }
        return Base64.getEncoder().encodeToString(bytes.toByteArray());
    }
}
