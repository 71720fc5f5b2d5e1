package org.vamt.provider.redirection.internal;

import java.io.IOException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.GeneralSecurityException;
import org.vamt.security.seal.Sealer;

/**
 * Seals and opens the VNC (RFB) password kept in a VM's redirection state. The key is this
 * bundle's own file, {@code ${karaf.etc}/vamt-redirection.key} (mode 600, made on first use), never
 * beside the state (which is in libvirt's domain XML). Each sealed password is bound to its VM.
 */
public final class RfbPasswordSeal {
    /** The key file's name under Karaf's etc/. */
    public static final String KEY_FILE = "vamt-redirection.key";
    private static final Sealer.OnFirstUse SEALER = new Sealer.OnFirstUse(RfbPasswordSeal::keyFile);

    private RfbPasswordSeal() {
    }

    /** The key file: {@code karaf.etc} (else ./etc) / {@value #KEY_FILE}. */
    static Path keyFile() {
        return Paths.get(System.getProperty("karaf.etc", "etc")).resolve(KEY_FILE);
    }

    private static Sealer sealer() throws IOException {
        return SEALER.get();
    }

    /** Forgets the loaded key (tests that move karaf.etc). */
    static void reset() {
        SEALER.forget();
    }

    /** The password sealed for VM {@code uuid}. */
    public static String seal(String uuid, String password) throws IOException, GeneralSecurityException {
        return sealer().seal(password, context(uuid));
    }

    /** The password of VM {@code uuid} from its sealed form. */
    public static String open(String uuid, String sealed) throws IOException, GeneralSecurityException {
        return sealer().unseal(sealed, context(uuid));
    }

    private static String context(String uuid) {
        return "vamt redirection RFBPassword " + uuid.toLowerCase(java.util.Locale.ROOT);
    }
}
