package org.vamt.provider.profiles.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.vamt.cim.CimInstance;
import org.vamt.cim.model.CIM_ElementConformsToProfile;
import org.vamt.cim.model.CIM_RegisteredProfile;
import org.vamt.cim.spi.CimObjectManager;
import org.vamt.cim.spi.CimProvider;
import org.vamt.cim.spi.RequestContext;
import org.vamt.provider.support.AmtNames;

/**
 * Profile registration (DSP1033): the DMTF profiles whose central classes are served right now.
 * Providers come and go at runtime, so the list is computed per request from what the CIMOM
 * serves; a profile is never advertised without the classes that implement it.
 */
@Component(service = CimProvider.class, property = {
    CimProvider.CLASSES + "=CIM_RegisteredProfile",
    CimProvider.CLASSES + "=CIM_ElementConformsToProfile",
    CimProvider.REALM_PREFIX + "CIM_RegisteredProfile=*",
    CimProvider.REALM_PREFIX + "CIM_ElementConformsToProfile=*"})
public class ProfileProvider implements CimProvider {
    private static final int DMTF = 2;
    private static final int NOT_ADVERTISED = 2;

    /** A DMTF profile and the classes without which it is not implemented. */
    record Profile(String id, String name, String version, List<String> classes) {
    }

    static final List<Profile> PROFILES = List.of(
            new Profile("DSP1033", "Profile Registration", "1.0.0", List.of("CIM_RegisteredProfile")),
            new Profile("DSP1058", "Base Desktop and Mobile", "1.0.0", List.of("CIM_ComputerSystem")),
            new Profile("DSP1027", "Power State Management", "1.0.0",
                    List.of("CIM_PowerManagementService", "CIM_AssociatedPowerManagementService")),
            new Profile("DSP1022", "CPU", "1.0.0", List.of("CIM_Processor")),
            new Profile("DSP1011", "Physical Asset", "1.0.0", List.of("CIM_Chassis", "CIM_PhysicalPackage")),
            new Profile("DSP1023", "Software Inventory", "1.0.0", List.of("CIM_SoftwareIdentity")),
            new Profile("DSP1012", "Boot Control", "1.0.0",
                    List.of("CIM_BootService", "CIM_BootConfigSetting", "CIM_BootSourceSetting")),
            new Profile("DSP1076", "KVM Redirection", "1.0.0", List.of("CIM_KVMRedirectionSAP")));

    /**
     * Optional and dynamic: the CIMOM binds this provider while it activates, so a mandatory
     * reference back to the CIMOM would be a cycle that SCR refuses.
     */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile CimObjectManager cimom;

    public ProfileProvider() {
    }

    ProfileProvider(CimObjectManager cimom) {
        this.cimom = cimom;
    }

    @Override
    public List<CimInstance> enumerateInstances(RequestContext ctx, String className) {
        List<CIM_RegisteredProfile> profiles = implemented();
        List<CimInstance> out = new ArrayList<>();
        if (className.toLowerCase(Locale.ROOT).equals("cim_registeredprofile")) {
            profiles.forEach(p -> out.add(p.toInstance()));
        } else {
            for (CIM_RegisteredProfile p : profiles) {
                out.add(new CIM_ElementConformsToProfile().setConformantStandard(p.path())
                        .setManagedElement(AmtNames.managedSystem()).toInstance());
            }
        }
        return out;
    }

    private List<CIM_RegisteredProfile> implemented() {
        CimObjectManager manager = cimom;
        Set<String> served = manager == null ? Set.of() : manager.servedClasses();
        List<CIM_RegisteredProfile> list = new ArrayList<>();
        for (Profile p : PROFILES) {
            if (p.classes().stream().allMatch(served::contains)) {
                list.add(new CIM_RegisteredProfile()
                        .setInstanceID("DMTF:" + p.id() + ":" + p.version())
                        .setElementName(p.name())
                        .setRegisteredOrganization(DMTF)
                        .setRegisteredName(p.name())
                        .setRegisteredVersion(p.version())
                        .setAdvertiseTypes(NOT_ADVERTISED));
            }
        }
        return list;
    }
}
