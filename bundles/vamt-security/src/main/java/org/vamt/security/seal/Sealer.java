package org.vamt.security.seal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.vamt.security.files.DurableFiles;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Seals secrets that must be read back (passwords Digest or VNC needs in clear) with AES-256-GCM.
 * The key is a file of its own, mode 600, created on first use by the bundle that seals, and lives
 * where the sealed data does not (e.g. Karaf's {@code etc/} for data kept in libvirt's domain XML),
 * so neither copy alone reveals a secret. Sealed text is {@code aesgcm:<iv>:<ciphertext>} (Base64);
 * a context string (e.g. the VM's UUID and the field) is bound as associated data, so a sealed value
 * copied to another VM or field does not open. Sealed text never holds the secret; neither is logged.
 */
public final class Sealer {
    private static final String PREFIX = "aesgcm:";
    private static final int KEY_BYTES = 32;
    private static final int IV_BYTES = 12;
    private static final int TAG_BITS = 128;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final byte[] key;

    private Sealer(byte[] key) {
        this.key = key;
    }

    /** The sealer of {@code keyFile}: its key, or a new random one written there (mode 600) when there is none. */
    public static Sealer open(Path keyFile) throws IOException {
        return new Sealer(loadOrCreateKey(keyFile));
    }

    /**
     * The sealer of a key file opened at first use (its key read, or created) and kept: a component
     * that may never need a secret makes no key file. The file is asked of {@code keyFile} at that
     * first use, so it follows {@code karaf.etc} as it is then.
     */
    public static final class OnFirstUse {
        private final java.util.function.Supplier<Path> keyFile;
        private volatile Sealer sealer;

        public OnFirstUse(java.util.function.Supplier<Path> keyFile) {
            this.keyFile = keyFile;
        }

        public Sealer get() throws IOException {
            Sealer s = sealer;
            if (s == null) {
                synchronized (this) {
                    s = sealer;
                    if (s == null) {
                        s = open(keyFile.get());
                        sealer = s;
                    }
                }
            }
            return s;
        }

        /** Forgets the key read, so the next use opens the key file again (tests that move karaf.etc). */
        public synchronized void forget() {
            sealer = null;
        }
    }

    /** Whether text looks sealed (not whether it opens). */
    public static boolean isSealed(String text) {
        return text != null && text.startsWith(PREFIX) && text.split(":").length == 3;
    }

    /** Seals {@code secret}, bound to no context. */
    public String seal(String secret) throws GeneralSecurityException {
        return seal(secret, null);
    }

    /** Seals {@code secret}, bound to {@code context} (null: none); it opens only with the same context. */
    public String seal(String secret, String context) throws GeneralSecurityException {
        byte[] iv = new byte[IV_BYTES];
        RANDOM.nextBytes(iv);
        Cipher c = cipher(Cipher.ENCRYPT_MODE, iv, context);
        byte[] ct = c.doFinal(secret.getBytes(StandardCharsets.UTF_8));
        return PREFIX + Base64.getEncoder().encodeToString(iv) + ":" + Base64.getEncoder().encodeToString(ct);
    }

    /** Opens text {@link #seal(String)} made. */
    public String unseal(String sealed) throws GeneralSecurityException {
        return unseal(sealed, null);
    }

    /**
     * Opens text {@link #seal(String, String)} made with the same context; GeneralSecurityException
     * when it is not sealed text, was sealed with another key or context, or was altered.
     */
    public String unseal(String sealed, String context) throws GeneralSecurityException {
        if (!isSealed(sealed)) {
            throw new GeneralSecurityException("not sealed text");
        }
        String[] parts = sealed.split(":");
        try {
            Cipher c = cipher(Cipher.DECRYPT_MODE, Base64.getDecoder().decode(parts[1]), context);
            return new String(c.doFinal(Base64.getDecoder().decode(parts[2])), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw new GeneralSecurityException("sealed text is not Base64", e);
        }
    }

    private Cipher cipher(int mode, byte[] iv, String context) throws GeneralSecurityException {
        Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
        c.init(mode, new SecretKeySpec(key, "AES"), new GCMParameterSpec(TAG_BITS, iv));
        if (context != null) {
            c.updateAAD(context.getBytes(StandardCharsets.UTF_8));
        }
        return c;
    }

    private static byte[] loadOrCreateKey(Path keyFile) throws IOException {
        if (!Files.exists(keyFile)) {
            byte[] k = new byte[KEY_BYTES];
            RANDOM.nextBytes(k);
            Path parent = keyFile.toAbsolutePath().getParent();
            Files.createDirectories(parent);
            Path tmp = Files.createTempFile(parent, keyFile.getFileName().toString(), ".tmp");
            try {
                restrictToOwner(tmp);
                Files.writeString(tmp, Base64.getEncoder().encodeToString(k) + "\n", StandardCharsets.US_ASCII,
                        StandardOpenOption.WRITE);
                DurableFiles.force(tmp);   // on disk before it has its name: a crash never leaves an empty key
                try {
                    Files.createLink(keyFile, tmp);   // atomic: never overwrites a key another process made
                    DurableFiles.syncDirectory(parent);
                } catch (FileAlreadyExistsException e) {
                    // someone else was first: use theirs
                } catch (UnsupportedOperationException | IOException e) {
                    if (Files.exists(keyFile)) {
                        // someone else was first
                    } else {
                        Files.copy(tmp, keyFile);
                        restrictToOwner(keyFile);
                        DurableFiles.force(keyFile);
                        DurableFiles.syncDirectory(parent);
                    }
                }
            } finally {
                Files.deleteIfExists(tmp);
            }
        }
        byte[] k;
        try {
            k = Base64.getDecoder().decode(Files.readString(keyFile, StandardCharsets.US_ASCII).trim());
        } catch (IllegalArgumentException e) {
            throw new IOException(keyFile + " does not hold a Base64 key", e);
        }
        if (k.length != KEY_BYTES) {
            throw new IOException(keyFile + " does not hold a 256-bit key");
        }
        return k;
    }

    /** Makes a file readable and writable by its owner only (where the file system knows POSIX modes). */
    public static void restrictToOwner(Path file) throws IOException {
        DurableFiles.restrictToOwner(file);
    }
}
