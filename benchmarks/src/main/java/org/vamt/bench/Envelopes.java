package org.vamt.bench;

import java.nio.charset.StandardCharsets;

/** The request envelopes the benchmarks send, as MeshCentral sends them. */
public final class Envelopes {
    public static final String CIM = "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/";
    private static final String TRANSFER = "http://schemas.xmlsoap.org/ws/2004/09/transfer/";
    private static final String ENUMERATION = "http://schemas.xmlsoap.org/ws/2004/09/enumeration";

    /** The compat doc's §4.5 inventory classes, in MeshCentral's order. */
    public static final String[] INVENTORY = {"CIM_ComputerSystemPackage", "CIM_SystemPackaging", "CIM_Chassis",
        "CIM_Chip", "CIM_Card", "CIM_BIOSElement", "CIM_Processor", "CIM_PhysicalMemory", "CIM_MediaAccessDevice",
        "CIM_PhysicalPackage"};

    private Envelopes() {
    }

    static byte[] envelope(String action, String resourceUri, String selectors, String body) {
        return ("<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\" "
                + "xmlns:a=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\" "
                + "xmlns:w=\"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd\"><s:Header>"
                + "<a:Action>" + action + "</a:Action><a:To>/wsman</a:To>"
                + (resourceUri == null ? "" : "<w:ResourceURI>" + resourceUri + "</w:ResourceURI>")
                + "<a:MessageID>1</a:MessageID><a:ReplyTo><a:Address>"
                + "http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:Address></a:ReplyTo>"
                + (selectors == null ? "" : "<w:SelectorSet>" + selectors + "</w:SelectorSet>")
                + "<w:OperationTimeout>PT60S</w:OperationTimeout>"
                + "</s:Header><s:Body>" + (body == null ? "" : body) + "</s:Body></s:Envelope>")
                .getBytes(StandardCharsets.UTF_8);
    }

    /** The paper's request: Get CIM_SoftwareIdentity InstanceID=AMT. */
    public static byte[] getSoftwareIdentity() {
        return envelope(TRANSFER + "Get", CIM + "CIM_SoftwareIdentity",
                "<w:Selector Name=\"InstanceID\">AMT</w:Selector>", null);
    }

    /** Get CIM_ComputerSystem (the managed system): read live from the hypervisor, a remote call on a gateway. */
    public static byte[] getComputerSystem() {
        return envelope(TRANSFER + "Get", CIM + "CIM_ComputerSystem", null, null);
    }

    public static byte[] identify() {
        return ("<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\" "
                + "xmlns:i=\"http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd\"><s:Header></s:Header>"
                + "<s:Body><i:Identify></i:Identify></s:Body></s:Envelope>").getBytes(StandardCharsets.UTF_8);
    }

    public static byte[] enumerate(String cimClass) {
        return envelope(ENUMERATION + "/Enumerate", CIM + cimClass, null,
                "<n:Enumerate xmlns:n=\"" + ENUMERATION + "\"></n:Enumerate>");
    }

    public static byte[] pull(String cimClass, String context) {
        return envelope(ENUMERATION + "/Pull", CIM + cimClass, null,
                "<n:Pull xmlns:n=\"" + ENUMERATION + "\"><n:EnumerationContext>" + context
                        + "</n:EnumerationContext><n:MaxElements>999</n:MaxElements>"
                        + "<n:MaxCharacters>99999</n:MaxCharacters></n:Pull>");
    }

    public static byte[] requestPowerStateChange(int state) {
        String uri = CIM + "CIM_PowerManagementService";
        return envelope(uri + "/RequestPowerStateChange", uri,
                "<w:Selector Name=\"CreationClassName\">CIM_PowerManagementService</w:Selector>"
                        + "<w:Selector Name=\"Name\">Intel(r) AMT Power Management Service</w:Selector>"
                        + "<w:Selector Name=\"SystemCreationClassName\">CIM_ComputerSystem</w:Selector>"
                        + "<w:Selector Name=\"SystemName\">Intel(r) AMT</w:Selector>",
                "<r:RequestPowerStateChange_INPUT xmlns:r=\"" + uri + "\"><r:PowerState>" + state + "</r:PowerState>"
                        + "<r:ManagedElement><a:Address>/wsman</a:Address><a:ReferenceParameters>"
                        + "<w:ResourceURI>" + CIM + "CIM_ComputerSystem</w:ResourceURI><w:SelectorSet>"
                        + "<w:Selector Name=\"CreationClassName\">CIM_ComputerSystem</w:Selector>"
                        + "<w:Selector Name=\"Name\">ManagedSystem</w:Selector></w:SelectorSet>"
                        + "</a:ReferenceParameters></r:ManagedElement></r:RequestPowerStateChange_INPUT>");
    }
}
