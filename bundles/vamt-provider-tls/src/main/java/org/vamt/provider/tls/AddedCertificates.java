package org.vamt.provider.tls;

import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import org.vamt.hypervisor.state.StateType;

/**
 * The certificates consoles added to a VM (AMT_PublicKeyManagementService.AddCertificate and
 * AddTrustedRootCertificate), kept with the VM as typed per-VM state, namespace {@code tls}.
 * vamt-provider-tls owns and writes it; vAMT's own TLS certificate (handle 0) is not in it.
 * vamt-provider-remoteaccess reads the trusted roots: they are the roots a VM's CIRA tunnel trusts
 * its MPS's certificate by, as on AMT.
 */
public record AddedCertificates(List<Certificate> certificates) {
    /** The key of the untyped metadata form before typed state: one line per certificate. */
    public static final String LEGACY_KEY = "tls.certificates";
    public static final AddedCertificates NONE = new AddedCertificates(List.of());
    public static final StateType<AddedCertificates> STATE = StateType.of("tls", AddedCertificates.class, NONE)
            .migratingFrom(Set.of(LEGACY_KEY), (uuid, legacy) -> fromLines(legacy.get(LEGACY_KEY)));

    public AddedCertificates {
        certificates = certificates == null ? List.of() : List.copyOf(certificates);
    }

    /**
     * One certificate.
     *
     * @param handle      its handle (InstanceID "Intel(r) AMT Certificate: Handle: n"), from 1
     * @param trustedRoot added with AddTrustedRootCertificate
     * @param der         the certificate, DER as Base64
     */
    public record Certificate(int handle, boolean trustedRoot, String der) {
    }

    /** The DER of every trusted root, in the order they were added; damaged entries skipped. */
    public List<byte[]> trustedRoots() {
        List<byte[]> out = new ArrayList<>();
        for (Certificate c : certificates) {
            if (c.trustedRoot() && c.der() != null) {
                try {
                    out.add(Base64.getDecoder().decode(c.der()));
                } catch (IllegalArgumentException e) {
                    // damaged: not a root of trust
                }
            }
        }
        return out;
    }

    /** The old form: {@code <handle> <root|cert> <base64 DER>} per line; damaged lines are skipped. */
    static AddedCertificates fromLines(String text) {
        List<Certificate> out = new ArrayList<>();
        for (String line : text.split("\n")) {
            String[] f = line.strip().split(" ");
            if (f.length != 3) {
                continue;
            }
            try {
                Base64.getDecoder().decode(f[2]);
                out.add(new Certificate(Integer.parseInt(f[0]), "root".equals(f[1]), f[2]));
            } catch (IllegalArgumentException e) {
                // skipped, as before
            }
        }
        return new AddedCertificates(out);
    }
}
