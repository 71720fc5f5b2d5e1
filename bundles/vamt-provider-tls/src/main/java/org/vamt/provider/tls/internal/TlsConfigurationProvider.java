package org.vamt.provider.tls.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.vamt.cim.CimException;
import org.vamt.cim.CimInstance;
import org.vamt.cim.CimObjectPath;
import org.vamt.cim.CimStatus;
import org.vamt.cim.TypedInstance;
import org.vamt.cim.model.AMT_PublicKeyCertificate;
import org.vamt.cim.model.AMT_PublicPrivateKeyPair;
import org.vamt.cim.model.AMT_TLSCredentialContext;
import org.vamt.cim.model.AMT_TLSProtocolEndpointCollection;
import org.vamt.cim.model.AMT_TLSSettingData;
import org.vamt.cim.spi.CimProvider;
import org.vamt.cim.spi.RequestContext;
import org.vamt.hypervisor.Hypervisor;
import org.vamt.provider.support.Machines;
import org.vamt.tls.TlsIdentity;

/**
 * The certificate store and TLS configuration of a VM's vAMT, shaped so that MeshCentral sees
 * TLS as configured already: a credential context names vAMT's own certificate, both TLS
 * settings are enabled. vAMT's TLS is the operator's business (vamt-tls), so clients can read
 * it, can delete what they added, but cannot take the TLS certificate or its key away.
 */
@Component(service = CimProvider.class, property = {
    CimProvider.CLASSES + "=AMT_PublicKeyCertificate",
    CimProvider.CLASSES + "=AMT_PublicPrivateKeyPair",
    CimProvider.CLASSES + "=AMT_TLSSettingData",
    CimProvider.CLASSES + "=AMT_TLSCredentialContext",
    CimProvider.CLASSES + "=AMT_TLSProtocolEndpointCollection"})
public class TlsConfigurationProvider implements CimProvider {
    static final String REMOTE_SETTINGS = "Intel(r) AMT 802.3 TLS Settings";
    static final String LOCAL_SETTINGS = "Intel(r) AMT LMS TLS Settings";
    /** As AMT names it in its answers (Intel's Go client sends "TLSProtocolEndpointInstances Collection" in a Create, which is not checked). */
    static final String ENDPOINT_COLLECTION = "TLSProtocolEndpoint Instances Collection";

    private final Hypervisor hypervisor;
    private final CertificateStore store;

    @Activate
    public TlsConfigurationProvider(@Reference Hypervisor hypervisor, @Reference TlsIdentity tls) {
        this.hypervisor = hypervisor;
        this.store = new CertificateStore(hypervisor, tls);
    }

    @Override
    public List<CimInstance> enumerateInstances(RequestContext ctx, String className) throws CimException {
        List<? extends TypedInstance> typed = switch (className) {
            case AMT_PublicKeyCertificate.CLASS_NAME -> store.certificates(ctx);
            case AMT_PublicPrivateKeyPair.CLASS_NAME -> store.keyPairs(ctx);
            case AMT_TLSSettingData.CLASS_NAME -> settings(ctx);
            case AMT_TLSCredentialContext.CLASS_NAME -> credentialContexts(ctx);
            case AMT_TLSProtocolEndpointCollection.CLASS_NAME -> endpointCollections(ctx);
            default -> throw new CimException(CimStatus.INVALID_CLASS, className);
        };
        List<CimInstance> out = new ArrayList<>();
        for (TypedInstance t : typed) {
            out.add(t.toInstance());
        }
        return out;
    }

    /**
     * The network interface speaks TLS on 16993 and still answers on 16992; the local (LMS)
     * interface has no counterpart in a VM and reports what MeshCentral would set on it.
     */
    private List<AMT_TLSSettingData> settings(RequestContext ctx) throws CimException {
        Machines.require(hypervisor, ctx);
        return List.of(setting(REMOTE_SETTINGS), setting(LOCAL_SETTINGS));
    }

    private static AMT_TLSSettingData setting(String id) {
        return new AMT_TLSSettingData()
                .setInstanceID(id)
                .setElementName(id)
                .setEnabled(true)
                .setMutualAuthentication(false)
                .setAcceptNonSecureConnections(true)
                .setNonSecureConnectionsSupported(true);
    }

    private List<AMT_TLSCredentialContext> credentialContexts(RequestContext ctx) throws CimException {
        Machines.require(hypervisor, ctx);
        return List.of(new AMT_TLSCredentialContext()
                .setElementInContext(store.ownCertificatePath())
                .setElementProvidingContext(endpointCollectionPath()));
    }

    private List<AMT_TLSProtocolEndpointCollection> endpointCollections(RequestContext ctx) throws CimException {
        Machines.require(hypervisor, ctx);
        return List.of(new AMT_TLSProtocolEndpointCollection().setElementName(ENDPOINT_COLLECTION));
    }

    static CimObjectPath endpointCollectionPath() {
        return CimObjectPath.of(AMT_TLSProtocolEndpointCollection.CLASS_NAME, "ElementName", ENDPOINT_COLLECTION);
    }

    @Override
    public void deleteInstance(RequestContext ctx, CimInstance instance) throws CimException {
        switch (instance.className()) {
            case AMT_PublicKeyCertificate.CLASS_NAME -> store.deleteCertificate(ctx, (String) instance.get("InstanceID"));
            case AMT_PublicPrivateKeyPair.CLASS_NAME -> store.deleteKeyPair((String) instance.get("InstanceID"));
            case AMT_TLSCredentialContext.CLASS_NAME -> throw new CimException(CimStatus.ACCESS_DENIED,
                    "vAMT's TLS certificate is set by its operator (org.vamt.tls), not over WS-Management");
            default -> throw new CimException(CimStatus.NOT_SUPPORTED, "deleteInstance of " + instance.className());
        }
    }

    /** A Put that keeps the settings as they are succeeds (MeshCentral's TLS setup sends exactly those). */
    @Override
    public CimInstance modifyInstance(RequestContext ctx, CimInstance current, CimInstance modified)
            throws CimException {
        if (!AMT_TLSSettingData.CLASS_NAME.equals(current.className())) {
            throw new CimException(CimStatus.NOT_SUPPORTED, "modifyInstance of " + current.className());
        }
        for (String property : List.of("Enabled", "MutualAuthentication", "AcceptNonSecureConnections")) {
            Object wanted = modified.get(property);
            if (wanted != null && !Objects.equals(String.valueOf(current.get(property)), String.valueOf(wanted))) {
                throw new CimException(CimStatus.INVALID_PARAMETER, property + " of " + current.get("InstanceID")
                        + " is fixed by vAMT's configuration at " + current.get(property));
            }
        }
        Object trusted = modified.get("TrustedCN");
        if (trusted instanceof List<?> l && !l.isEmpty()) {
            throw new CimException(CimStatus.INVALID_PARAMETER, "TrustedCN: vAMT does not do mutual TLS");
        }
        return current;
    }

    /** Creating the context that exists already is a duplicate; any other certificate cannot take over. */
    @Override
    public CimObjectPath createInstance(RequestContext ctx, CimInstance instance) throws CimException {
        if (!AMT_TLSCredentialContext.CLASS_NAME.equals(instance.className())) {
            throw new CimException(CimStatus.NOT_SUPPORTED, "createInstance of " + instance.className());
        }
        Object element = instance.get("ElementInContext");
        if (element instanceof CimObjectPath p && store.ownCertificatePath().keys().equals(p.keys())) {
            throw new CimException(CimStatus.ALREADY_EXISTS, "the TLS credential context exists already");
        }
        throw new CimException(CimStatus.ACCESS_DENIED,
                "vAMT's TLS certificate is set by its operator (org.vamt.tls), not over WS-Management");
    }
}
