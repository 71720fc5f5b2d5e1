package org.vamt.cira;

import java.time.Instant;
import java.util.List;

/** The VMs' CIRA tunnels, for the shell and for configuration sources. */
public interface Cira {

    enum State {
        /** TCP, TLS and APF login under way (or waiting for a free handshake slot). */
        CONNECTING,
        /** Logged in, ports forwarded: the MPS can open channels. */
        CONNECTED,
        /** The last attempt failed; the next one is at {@link Tunnel#nextAttempt}. */
        BACKING_OFF
    }

    /**
     * One VM's tunnel.
     *
     * @param mps          {@code user@host:port}
     * @param since        when it entered its state
     * @param lastError    why the last attempt ended (null: none yet)
     * @param failures     attempts failed in a row
     * @param nextAttempt  with BACKING_OFF: when it dials again
     * @param channels     channels open now
     */
    record Tunnel(String vmUuid, String vmName, State state, String mps, Instant since, String lastError,
                  int failures, Instant nextAttempt, int channels) {
    }

    /** Every VM that should have a tunnel, by name. */
    List<Tunnel> tunnels();

    /** The operator configuration in one line (no secret), for the shell. */
    String summary();

    /**
     * Sets the MPS password of the operator configuration: sealed with this bundle's key and kept
     * in Config Admin (etc/org.vamt.cira.cfg); the tunnels reconnect with it. Never logged.
     */
    void setPassword(char[] password);

    /** Drops and redials VM {@code vmUuid}'s tunnel (null: every VM's), at once and without backoff. */
    void refresh(String vmUuid);
}
