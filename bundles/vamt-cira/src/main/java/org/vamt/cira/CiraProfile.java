package org.vamt.cira;

import java.util.List;
import java.util.Objects;

/**
 * What one VM's CIRA client does: whether it dials, which MPS (the first first; after a failed
 * attempt the next, as AMT dials a policy's backup MPS), how it checks the MPS's certificate, and its
 * keep-alive. Made from the operator's configuration, or per VM from a console's WS-Management
 * set-up (AddMpServer, AddRemoteAccessPolicyRule, AddTrustedRootCertificate…).
 *
 * @param enabled          whether the VM dials at all
 * @param servers          MPSes in order of preference (at least one when enabled)
 * @param trust            how the MPS's certificate is checked
 * @param keepAliveSeconds interval of the device's KEEPALIVE_REQUESTs (an MPS may ask for a shorter one)
 * @param redialSeconds    first delay before dialling again after a failed attempt or a dropped
 *                         tunnel (AMT's periodic policy interval), doubled per failure with jitter up
 *                         to the operator's longest back-off; 0: the operator's back-off
 */
public record CiraProfile(boolean enabled, List<Mps> servers, Trust trust, int keepAliveSeconds, int redialSeconds) {
    /** A profile that redials after the operator's back-off. */
    public CiraProfile(boolean enabled, List<Mps> servers, Trust trust, int keepAliveSeconds) {
        this(enabled, servers, trust, keepAliveSeconds, 0);
    }

    public CiraProfile {
        if (redialSeconds < 0) {
            throw new IllegalArgumentException("redialSeconds must be 0 or more, got " + redialSeconds);
        }
        servers = List.copyOf(servers);
        if (enabled && servers.isEmpty()) {
            throw new IllegalArgumentException("an enabled CIRA profile needs an MPS");
        }
        if (keepAliveSeconds < 1 || keepAliveSeconds > 3600) {
            throw new IllegalArgumentException("keepAliveSeconds must be 1-3600, got " + keepAliveSeconds);
        }
    }

    /**
     * One MPS and the login on it (AMT_ManagementPresenceRemoteSAP + AMT_MPSUsernamePassword). The
     * password is in clear here, in memory only; {@link #toString} never shows it.
     */
    public record Mps(String host, int port, String user, String password) {
        public Mps {
            Objects.requireNonNull(host, "host");
            if (host.isBlank()) {
                throw new IllegalArgumentException("the MPS host is empty");
            }
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("the MPS port must be 1-65535, got " + port);
            }
            // AMT: user names are ASCII 32-126, at most 16 characters
            if (user == null || user.isEmpty() || user.length() > 16 || !user.chars().allMatch(c -> c >= 32 && c <= 126)) {
                throw new IllegalArgumentException("the MPS user name must be 1-16 ASCII characters");
            }
            if (password == null) {
                throw new IllegalArgumentException("no MPS password");
            }
        }

        @Override
        public String toString() {
            return user + "@" + host + ":" + port;
        }
    }

    /**
     * The MPS's certificate is trusted when it chains to one of {@code rootsPem} (PEM text) or when a
     * certificate of its chain has one of the SHA-256 {@code pins} (hex, comma separated); exactly
     * one of the two is set. The host name dialled is checked in both cases.
     */
    public record Trust(String rootsPem, String pins) {
        public Trust {
            boolean roots = rootsPem != null && !rootsPem.isBlank();
            boolean pinned = pins != null && !pins.isBlank();
            if (roots == pinned) {
                throw new IllegalArgumentException("the MPS's certificate needs exactly one of: trusted root "
                        + "certificates (PEM), a SHA-256 pin");
            }
        }
    }
}
