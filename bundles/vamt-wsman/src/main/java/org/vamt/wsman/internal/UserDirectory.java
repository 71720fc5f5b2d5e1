package org.vamt.wsman.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The WS-Management users. Digest needs MD5(user:realm:password) for each VM's realm, including
 * realms of VMs defined later, so passwords are kept encrypted (AES-256-GCM) rather than hashed;
 * the key lives in its own file readable only by its owner. No default password: the first
 * start takes {@code VAMT_ADMIN_PASSWORD} or generates one and announces it once.
 */
final class UserDirectory implements DigestAuthenticator.Credentials {
    static final String ADMIN = "admin";
    private static final String SPECIALS = "#%*-_+.";
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Map<String, char[]> passwords = new ConcurrentHashMap<>();
    private final Map<String, String> ha1Cache = new ConcurrentHashMap<>();

    private UserDirectory() {
    }

    /**
     * Opens the directory in {@code usersFile} (key in {@code keyFile}), creating it on first
     * start with an admin whose password is {@code initialPassword} or, when that is null or
     * empty, a generated one passed to {@code announceGenerated}.
     */
    static UserDirectory open(Path usersFile, Path keyFile, String initialPassword, Consumer<String> announceGenerated)
            throws IOException, GeneralSecurityException {
        UserDirectory dir = new UserDirectory();
        byte[] key = loadOrCreateKey(keyFile);
        Properties stored = new Properties();
        if (Files.exists(usersFile)) {
            try (InputStream in = Files.newInputStream(usersFile)) {
                stored.load(in);
            }
        }
        if (stored.getProperty(ADMIN) == null) {
            boolean generated = initialPassword == null || initialPassword.isEmpty();
            String password = generated ? generatePassword() : initialPassword;
            stored.setProperty(ADMIN, encrypt(key, password));
            writePrivate(usersFile, stored);
            if (generated) {
                announceGenerated.accept(password);
            }
        }
        for (String user : stored.stringPropertyNames()) {
            dir.passwords.put(user, decrypt(key, stored.getProperty(user)).toCharArray());
        }
        return dir;
    }

    @Override
    public Optional<String> ha1(String user, String realm) {
        char[] pw = passwords.get(user);
        if (pw == null) {
            return Optional.empty();
        }
        return Optional.of(ha1Cache.computeIfAbsent(user + '\0' + realm,
                k -> DigestAuthenticator.md5(user + ":" + realm + ":" + new String(pw))));
    }

    /** 16 characters (MeshCentral's limit) with upper, lower, digit and special, as AMT requires. */
    static String generatePassword() {
        String upper = "ABCDEFGHJKLMNPQRSTUVWXYZ";
        String lower = "abcdefghijkmnopqrstuvwxyz";
        String digits = "23456789";
        String all = upper + lower + digits + SPECIALS;
        char[] pw = new char[16];
        pw[0] = upper.charAt(RANDOM.nextInt(upper.length()));
        pw[1] = lower.charAt(RANDOM.nextInt(lower.length()));
        pw[2] = digits.charAt(RANDOM.nextInt(digits.length()));
        pw[3] = SPECIALS.charAt(RANDOM.nextInt(SPECIALS.length()));
        for (int i = 4; i < pw.length; i++) {
            pw[i] = all.charAt(RANDOM.nextInt(all.length()));
        }
        for (int i = pw.length - 1; i > 0; i--) {
            int j = RANDOM.nextInt(i + 1);
            char t = pw[i];
            pw[i] = pw[j];
            pw[j] = t;
        }
        return new String(pw);
    }

    private static byte[] loadOrCreateKey(Path keyFile) throws IOException {
        if (Files.exists(keyFile)) {
            byte[] key = Base64.getDecoder().decode(Files.readString(keyFile, StandardCharsets.US_ASCII).trim());
            if (key.length != 32) {
                throw new IOException(keyFile + " does not hold a 256-bit key");
            }
            return key;
        }
        byte[] key = new byte[32];
        RANDOM.nextBytes(key);
        Files.createDirectories(keyFile.toAbsolutePath().getParent());
        Files.writeString(keyFile, Base64.getEncoder().encodeToString(key) + "\n", StandardCharsets.US_ASCII,
                StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        restrict(keyFile);
        return key;
    }

    private static void writePrivate(Path file, Properties p) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (OutputStream out = Files.newOutputStream(tmp)) {
            p.store(out, "vAMT WS-Management users (passwords AES-GCM encrypted; do not edit by hand)");
        }
        restrict(tmp);
        Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    private static void restrict(Path file) throws IOException {
        try {
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        } catch (UnsupportedOperationException e) {
            // not a POSIX file system; nothing more we can do
        }
    }

    private static String encrypt(byte[] key, String plain) throws GeneralSecurityException {
        byte[] iv = new byte[12];
        RANDOM.nextBytes(iv);
        Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
        c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"), new GCMParameterSpec(128, iv));
        byte[] ct = c.doFinal(plain.getBytes(StandardCharsets.UTF_8));
        return "aesgcm:" + Base64.getEncoder().encodeToString(iv) + ":" + Base64.getEncoder().encodeToString(ct);
    }

    private static String decrypt(byte[] key, String stored) throws GeneralSecurityException {
        String[] parts = stored.split(":");
        if (parts.length != 3 || !"aesgcm".equals(parts[0])) {
            throw new GeneralSecurityException("unrecognised password entry");
        }
        Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
        c.init(Cipher.DECRYPT_MODE, new SecretKeySpec(key, "AES"),
                new GCMParameterSpec(128, Base64.getDecoder().decode(parts[1])));
        return new String(c.doFinal(Base64.getDecoder().decode(parts[2])), StandardCharsets.UTF_8);
    }
}
