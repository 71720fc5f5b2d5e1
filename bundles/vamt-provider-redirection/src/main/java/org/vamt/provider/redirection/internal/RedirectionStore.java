package org.vamt.provider.redirection.internal;

import java.io.IOException;
import java.security.GeneralSecurityException;
import java.util.Optional;
import java.util.function.UnaryOperator;
import org.vamt.cim.CimException;
import org.vamt.cim.CimStatus;
import org.vamt.hypervisor.Hypervisor;
import org.vamt.hypervisor.HypervisorException;
import org.vamt.hypervisor.state.StateStore;
import org.vamt.provider.redirection.RedirectionSettings;
import org.vamt.provider.support.Machines;

/**
 * The redirection state kept with each VM ({@link RedirectionSettings}, typed per-VM state,
 * namespace {@code redirection}), so it survives vAMT restarts and travels with the VM. Changes
 * are compare-and-set (another gateway's concurrent change is kept); the RFB password is sealed
 * ({@link RfbPasswordSeal}) before it is stored and never logged.
 */
final class RedirectionStore {
    private final StateStore<RedirectionSettings> store;

    RedirectionStore(Hypervisor hypervisor) {
        this.store = new StateStore<>(hypervisor, RedirectionSettings.STATE);
    }

    RedirectionSettings get(String uuid) throws CimException {
        try {
            return store.get(uuid);
        } catch (HypervisorException e) {
            throw Machines.toCim(e);
        }
    }

    RedirectionSettings update(String uuid, UnaryOperator<RedirectionSettings> change) throws CimException {
        try {
            return store.update(uuid, change);
        } catch (HypervisorException e) {
            throw Machines.toCim(e);
        }
    }

    /** Stores the VNC password, sealed for this VM. */
    void setRfbPassword(String uuid, String password) throws CimException {
        String sealed;
        try {
            sealed = RfbPasswordSeal.seal(uuid, password);
        } catch (IOException | GeneralSecurityException e) {
            throw new CimException(CimStatus.FAILED, "the RFB password cannot be sealed: " + e.getMessage(), e);
        }
        update(uuid, s -> s.withRfbPassword(sealed));
    }

    /** The VNC password in clear (for VNC authentication), if one is set. */
    Optional<String> rfbPassword(String uuid) throws CimException {
        String sealed = get(uuid).rfbPassword();
        if (sealed == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(RfbPasswordSeal.open(uuid, sealed));
        } catch (IOException | GeneralSecurityException e) {
            throw new CimException(CimStatus.FAILED, "the stored RFB password of VM " + uuid
                    + " cannot be opened (was the key file etc/" + RfbPasswordSeal.KEY_FILE + " replaced?)", e);
        }
    }
}
