package org.vamt.eventing.internal;

import java.io.IOException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.GeneralSecurityException;
import java.util.Locale;
import org.vamt.security.seal.Sealer;

/**
 * Subscribers' passwords at rest: sealed ({@link Sealer}) with this bundle's own key,
 * {@code ${karaf.etc}/vamt-eventing.key} (mode 600, made on first use), never beside the sealed
 * values (they live in the domain XML), and bound to the VM and the subscription, so a sealed value
 * copied elsewhere does not open.
 */
final class SubscriberSeal {
    static final String KEY_FILE = "vamt-eventing.key";
    private final Sealer.OnFirstUse sealer;

    SubscriberSeal(Path keyFile) {
        this.sealer = new Sealer.OnFirstUse(() -> keyFile);
    }

    /** The key file: {@code karaf.etc} (else ./etc) / {@value #KEY_FILE}. */
    static SubscriberSeal inKarafEtc() {
        return new SubscriberSeal(Paths.get(System.getProperty("karaf.etc", "etc")).resolve(KEY_FILE));
    }

    private Sealer sealer() throws IOException {
        return sealer.get();
    }

    String seal(String uuid, String subscription, String password) throws IOException, GeneralSecurityException {
        return sealer().seal(password, context(uuid, subscription));
    }

    String open(String uuid, String subscription, String sealed) throws IOException, GeneralSecurityException {
        return sealer().unseal(sealed, context(uuid, subscription));
    }

    private static String context(String uuid, String subscription) {
        return "vamt eventing subscriber password " + uuid.toLowerCase(Locale.ROOT) + " " + subscription;
    }
}
