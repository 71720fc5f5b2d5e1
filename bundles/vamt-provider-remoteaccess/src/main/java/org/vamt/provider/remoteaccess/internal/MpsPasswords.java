package org.vamt.provider.remoteaccess.internal;

import java.io.IOException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.GeneralSecurityException;
import java.util.Locale;
import org.vamt.cim.CimException;
import org.vamt.cim.CimStatus;
import org.vamt.security.seal.Sealer;

/**
 * Seals and opens the MPS passwords consoles set (AddMpServer's Password, AMT_MPSUsernamePassword's
 * Secret). The key is this bundle's own file, {@code ${karaf.etc}/vamt-remoteaccess.key} (mode 600,
 * made on first use), never beside the state (which is in libvirt's domain XML); each sealed
 * password is bound to its VM, so one copied to another VM does not open.
 */
class MpsPasswords {
    static final String KEY_FILE = "vamt-remoteaccess.key";
    private final Sealer.OnFirstUse sealer;

    MpsPasswords() {
        this(Paths.get(System.getProperty("karaf.etc", "etc")).resolve(KEY_FILE));
    }

    MpsPasswords(Path keyFile) {
        this.sealer = new Sealer.OnFirstUse(() -> keyFile);
    }

    private Sealer sealer() throws IOException {
        return sealer.get();
    }

    String seal(String vmUuid, String password) throws CimException {
        try {
            return sealer().seal(password, context(vmUuid));
        } catch (IOException | GeneralSecurityException e) {
            throw new CimException(CimStatus.FAILED, "the MPS password cannot be sealed: " + e.getMessage(), e);
        }
    }

    String open(String vmUuid, String sealed) throws CimException {
        if (sealed == null || !Sealer.isSealed(sealed)) {
            throw new CimException(CimStatus.FAILED, "no sealed MPS password");
        }
        try {
            return sealer().unseal(sealed, context(vmUuid));
        } catch (IOException | GeneralSecurityException e) {
            throw new CimException(CimStatus.FAILED, "the MPS password cannot be opened (another key or VM?)", e);
        }
    }

    private static String context(String vmUuid) {
        return "vamt cira console MPS password " + vmUuid.toLowerCase(Locale.ROOT);
    }
}
