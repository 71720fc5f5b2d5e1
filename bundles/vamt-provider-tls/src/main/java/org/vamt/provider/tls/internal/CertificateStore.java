package org.vamt.provider.tls.internal;

import java.io.ByteArrayInputStream;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import javax.security.auth.x500.X500Principal;
import org.vamt.cim.CimDateTime;
import org.vamt.cim.CimException;
import org.vamt.cim.CimObjectPath;
import org.vamt.cim.CimStatus;
import org.vamt.cim.model.AMT_PublicKeyCertificate;
import org.vamt.cim.model.AMT_PublicPrivateKeyPair;
import org.vamt.cim.spi.RequestContext;
import org.vamt.hypervisor.Hypervisor;
import org.vamt.hypervisor.HypervisorException;
import org.vamt.hypervisor.state.StateStore;
import org.vamt.hypervisor.state.StateType;
import org.vamt.provider.support.Machines;
import org.vamt.provider.tls.AddedCertificates;
import org.vamt.tls.TlsIdentity;

/**
 * A VM's certificate store as AMT shows it: handle 0 is vAMT's own TLS certificate and key
 * (read-only, in use by TLS), further handles are the certificates consoles added to this VM,
 * kept with the VM as typed per-VM state (namespace {@code tls}, {@link AddedCertificates}); changes are a
 * compare-and-set, so two gateways adding certificates at once both keep theirs.
 */
final class CertificateStore {
    static final String LEGACY_KEY = AddedCertificates.LEGACY_KEY;
    static final String CERTIFICATE_PREFIX = "Intel(r) AMT Certificate: Handle: ";
    static final String KEY_PREFIX = "Intel(r) AMT Key: Handle: ";
    static final String OWN_CERTIFICATE_ID = CERTIFICATE_PREFIX + "0";
    static final String OWN_KEY_ID = KEY_PREFIX + "0";
    /** Certificates a console may add per VM; AMT's store is small too. */
    static final int MAX_ADDED = 16;
    /** AMT_PublicKeyCertificate.X509Certificate holds at most this many bytes. */
    static final int MAX_CERTIFICATE_BYTES = 4100;

    /** One stored certificate. */
    record Entry(int handle, boolean trustedRoot, byte[] der) {
        String instanceId() {
            return CERTIFICATE_PREFIX + handle;
        }
    }

    /** Why an add was refused, as the AMT status codes of the Add methods. */
    static final class AddRefused extends Exception {
        private static final long serialVersionUID = 1L;
        final long status;

        AddRefused(long status, String message) {
            super(message);
            this.status = status;
        }
    }

    /** The certificates consoles added to a VM, as kept with it (exported: CIRA reads the trusted roots). */
    static final StateType<AddedCertificates> STATE = AddedCertificates.STATE;

    private final Hypervisor hypervisor;
    private final TlsIdentity tls;
    private final StateStore<AddedCertificates> store;

    CertificateStore(Hypervisor hypervisor, TlsIdentity tls) {
        this.hypervisor = hypervisor;
        this.tls = tls;
        this.store = new StateStore<>(hypervisor, STATE);
    }

    CimObjectPath ownCertificatePath() {
        return CimObjectPath.of(AMT_PublicKeyCertificate.CLASS_NAME, "InstanceID", OWN_CERTIFICATE_ID);
    }

    List<AMT_PublicKeyCertificate> certificates(RequestContext ctx) throws CimException {
        Machines.require(hypervisor, ctx);
        List<AMT_PublicKeyCertificate> out = new ArrayList<>();
        out.add(describe(OWN_CERTIFICATE_ID, tls.certificate(), false, true));
        for (Entry e : added(ctx)) {
            out.add(describe(e.instanceId(), parse(e.der()), e.trustedRoot(), false));
        }
        return out;
    }

    /** vAMT's own key pair only: keys are never added or generated per VM. */
    List<AMT_PublicPrivateKeyPair> keyPairs(RequestContext ctx) throws CimException {
        Machines.require(hypervisor, ctx);
        return List.of(new AMT_PublicPrivateKeyPair()
                .setInstanceID(OWN_KEY_ID)
                .setElementName("Intel(r) AMT Key")
                .setDERKey(Base64.getEncoder().encodeToString(PublicKeys.rsaPublicKey(tls.publicKey()))));
    }

    /**
     * Stores {@code base64Der} as a new certificate of the VM.
     *
     * @return the path of the created AMT_PublicKeyCertificate
     */
    CimObjectPath add(RequestContext ctx, String base64Der, boolean trustedRoot) throws CimException, AddRefused {
        Machines.require(hypervisor, ctx);
        if (base64Der == null || base64Der.isBlank()) {
            throw new AddRefused(PublicKeyManagementServiceProvider.INVALID_PARAMETER, "CertificateBlob is missing");
        }
        byte[] der;
        try {
            der = Base64.getMimeDecoder().decode(base64Der.strip());
            if (der.length > MAX_CERTIFICATE_BYTES) {
                throw new AddRefused(PublicKeyManagementServiceProvider.INVALID_CERT,
                        "certificate larger than " + MAX_CERTIFICATE_BYTES + " bytes");
            }
            parse(der);
        } catch (IllegalArgumentException | CimException e) {
            throw new AddRefused(PublicKeyManagementServiceProvider.INVALID_CERT, "not an X.509 certificate");
        }
        byte[] own = encoded(tls.certificate());
        AddedCertificates after;
        try {
            after = store.modify(ctx.machineId(), stored -> {
                List<Entry> entries = entries(stored);
                if (Arrays.equals(der, own) || entries.stream().anyMatch(e -> Arrays.equals(e.der(), der))) {
                    throw new AddRefused(PublicKeyManagementServiceProvider.DUPLICATE, "the certificate is already stored");
                }
                if (entries.size() >= MAX_ADDED) {
                    throw new AddRefused(PublicKeyManagementServiceProvider.MAX_LIMIT_REACHED,
                            "the store holds " + MAX_ADDED + " certificates already");
                }
                int handle = entries.stream().mapToInt(Entry::handle).max().orElse(0) + 1;
                entries.add(new Entry(handle, trustedRoot, der));
                return stored(entries);
            });
        } catch (HypervisorException e) {
            throw Machines.toCim(e);
        }
        Entry created = entries(after).stream().filter(e -> Arrays.equals(e.der(), der)).findFirst().orElseThrow();
        return CimObjectPath.of(AMT_PublicKeyCertificate.CLASS_NAME, "InstanceID", created.instanceId());
    }

    /** Deletes a certificate a console added; the TLS certificate is in use and stays. */
    void deleteCertificate(RequestContext ctx, String instanceId) throws CimException {
        if (OWN_CERTIFICATE_ID.equals(instanceId)) {
            throw new CimException(CimStatus.ACCESS_DENIED, "the certificate " + instanceId
                    + " is in use by TLS and cannot be deleted");
        }
        try {
            store.modify(ctx.machineId(), stored -> {
                List<Entry> entries = entries(stored);
                if (!entries.removeIf(e -> e.instanceId().equals(instanceId))) {
                    throw new CimException(CimStatus.NOT_FOUND, "no certificate " + instanceId);
                }
                return stored(entries);
            });
        } catch (HypervisorException e) {
            throw Machines.toCim(e);
        }
    }

    void deleteKeyPair(String instanceId) throws CimException {
        if (OWN_KEY_ID.equals(instanceId)) {
            throw new CimException(CimStatus.ACCESS_DENIED, "the key pair " + instanceId
                    + " belongs to the certificate in use by TLS and cannot be deleted");
        }
        throw new CimException(CimStatus.NOT_FOUND, "no key pair " + instanceId);
    }

    List<Entry> added(RequestContext ctx) throws CimException {
        try {
            return entries(store.get(ctx.machineId()));
        } catch (HypervisorException e) {
            throw Machines.toCim(e);
        }
    }

    private static List<Entry> entries(AddedCertificates stored) {
        List<Entry> entries = new ArrayList<>();
        for (AddedCertificates.Certificate c : stored.certificates()) {
            try {
                entries.add(new Entry(c.handle(), c.trustedRoot(), Base64.getDecoder().decode(c.der())));
            } catch (IllegalArgumentException | NullPointerException e) {
                // a damaged entry: skipped rather than lose the whole store, dropped on the next save
            }
        }
        return entries;
    }

    private static AddedCertificates stored(List<Entry> entries) {
        List<AddedCertificates.Certificate> out = new ArrayList<>();
        for (Entry e : entries) {
            out.add(new AddedCertificates.Certificate(e.handle(), e.trustedRoot(), Base64.getEncoder().encodeToString(e.der())));
        }
        return new AddedCertificates(out);
    }

    private static AMT_PublicKeyCertificate describe(String instanceId, X509Certificate cert, boolean trustedRoot,
                                                     boolean readOnly) throws CimException {
        return new AMT_PublicKeyCertificate()
                .setInstanceID(instanceId)
                .setElementName("Intel(r) AMT Certificate")
                .setX509Certificate(Base64.getEncoder().encodeToString(encoded(cert)))
                .setTrustedRootCertficate(trustedRoot)
                .setIssuer(name(cert.getIssuerX500Principal()))
                .setSubject(name(cert.getSubjectX500Principal()))
                .setReadOnlyCertificate(readOnly)
                .setIssued(CimDateTime.of(cert.getNotBefore().toInstant()))
                .setExpires(CimDateTime.of(cert.getNotAfter().toInstant()));
    }

    /** "C=..,O=..,CN=.." with no blanks: MeshCentral splits these on ',' and '='. */
    private static String name(X500Principal principal) {
        return principal.getName(X500Principal.RFC2253);
    }

    static X509Certificate parse(byte[] der) throws CimException {
        try {
            return (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(der));
        } catch (CertificateException | ClassCastException e) {
            throw new CimException(CimStatus.FAILED, "stored certificate cannot be read: " + e.getMessage(), e);
        }
    }

    private static byte[] encoded(X509Certificate cert) throws CimException {
        try {
            return cert.getEncoded();
        } catch (java.security.cert.CertificateEncodingException e) {
            throw new CimException(CimStatus.FAILED, e.getMessage(), e);
        }
    }

}
