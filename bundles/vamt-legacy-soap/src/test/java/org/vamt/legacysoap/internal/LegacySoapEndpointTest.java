package org.vamt.legacysoap.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.lang.annotation.Annotation;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.vamt.cim.VamtProduct;
import org.vamt.cim.spi.CimObjectManager;
import org.vamt.cim.spi.RequestContext;
import org.vamt.cimom.internal.TestCimom;
import org.vamt.hypervisor.MachineState;
import org.vamt.libvirt.internal.DemoHypervisor;
import org.vamt.provider.boot.internal.BootCapabilitiesProvider;
import org.vamt.provider.boot.internal.BootConfigSettingProvider;
import org.vamt.provider.boot.internal.BootSourceSettingProvider;
import org.vamt.provider.power.internal.PowerProvider;
import org.vamt.provider.settings.internal.GeneralSettingsProvider;
import org.vamt.provider.software.internal.SoftwareIdentityProvider;
import org.vamt.endpoints.EndpointPathHandler;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

/**
 * The legacy services over the real CIMOM, the real power, settings, software and boot
 * providers and the libvirt test driver, fed the envelopes Debian's amttool (SOAP::Lite) sends.
 */
class LegacySoapEndpointTest {
    private static final String SOAP_LITE_HEAD = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><soap:Envelope "
            + "soap:encodingStyle=\"http://schemas.xmlsoap.org/soap/encoding/\" "
            + "xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\" "
            + "xmlns:soapenc=\"http://schemas.xmlsoap.org/soap/encoding/\" "
            + "xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\" "
            + "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"><soap:Body>";
    private static final String SOAP_LITE_TAIL = "</soap:Body></soap:Envelope>";

    DemoHypervisor demo;
    CimObjectManager cimom;
    LegacySoapEndpoint endpoint;
    final List<String> audited = new ArrayList<>();
    /** Events the transport says cannot run (critical in the VM's audit policy, not recordable now). */
    final java.util.Set<String> unrecordable = new java.util.HashSet<>();

    @BeforeEach
    void start() throws Exception {
        demo = DemoHypervisor.start();
        PowerProvider.Config oneSecond = new PowerProvider.Config() {
            @Override
            public long gracefulTimeoutSeconds() {
                return 1;
            }

            @Override
            public Class<? extends Annotation> annotationType() {
                return PowerProvider.Config.class;
            }
        };
        cimom = new TestCimom()
                .serve(new PowerProvider(demo.hypervisor(), oneSecond), "CIM_ComputerSystem",
                        "CIM_PowerManagementService", "CIM_AssociatedPowerManagementService",
                        "CIM_ServiceAvailableToElement")
                .serve(new GeneralSettingsProvider(demo.hypervisor()), "AMT_GeneralSettings")
                .serve(new SoftwareIdentityProvider(), "CIM_SoftwareIdentity")
                .serve(new BootCapabilitiesProvider(), "AMT_BootCapabilities")
                .serve(new BootConfigSettingProvider(demo.hypervisor()), "CIM_BootConfigSetting")
                .serve(new BootSourceSettingProvider(), "CIM_BootSourceSetting")
                .manager();
        endpoint = new LegacySoapEndpoint(cimom);
    }

    @AfterEach
    void stop() {
        demo.close();
    }

    /** One request as the listener hands it over after Digest: VM desktop-02, user admin. */
    private EndpointPathHandler.Reply call(String path, String body) {
        RequestContext ctx = new RequestContext(DemoHypervisor.DESKTOP_02, "desktop-02", "admin",
                "Digest:6F8C1A524B1E4D6A9A01000000000002");
        return endpoint.handle(new EndpointPathHandler.Call() {
            @Override
            public String path() {
                return path;
            }

            @Override
            public String header(String name) {
                return null;
            }

            @Override
            public byte[] body() {
                return body.getBytes(StandardCharsets.UTF_8);
            }

            @Override
            public RequestContext context() {
                return ctx;
            }

            @Override
            public String remoteAddress() {
                return "127.0.0.1";
            }

            @Override
            public <T> T bounded(java.util.concurrent.Callable<T> work, long timeoutMillis)
                    throws java.util.concurrent.ExecutionException {
                try {
                    return work.call();
                } catch (Exception e) {
                    throw new java.util.concurrent.ExecutionException(e);
                }
            }

            @Override
            public long maxOperationMillis() {
                return 60_000;
            }

            @Override
            public void audit(int appId, int eventId, byte[] extendedData) {
                audited.add(appId + "/" + eventId);
            }

            @Override
            public boolean auditAllows(int appId, int eventId) {
                return !unrecordable.contains(appId + "/" + eventId);
            }
        });
    }

    private static String soapLite(String service, String method, String args) {
        String ns = "http://schemas.intel.com/platform/client/" + service + "/2004/01";
        return SOAP_LITE_HEAD + (args == null ? "<" + method + " xmlns=\"" + ns + "\" xsi:nil=\"true\" />"
                : "<" + method + " xmlns=\"" + ns + "\">" + args + "</" + method + ">") + SOAP_LITE_TAIL;
    }

    /** The children of the response element, as SOAP::Lite reads them: by position. */
    private static List<String> outputs(EndpointPathHandler.Reply reply, String method) throws Exception {
        assertEquals(200, reply.status(), reply.body());
        assertEquals("text/xml; charset=utf-8", reply.contentType());
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setNamespaceAware(true);
        Element env = f.newDocumentBuilder().parse(new ByteArrayInputStream(
                reply.body().getBytes(StandardCharsets.UTF_8))).getDocumentElement();
        assertEquals(SoapReply.SOAP11, env.getNamespaceURI());
        Element response = (Element) env.getElementsByTagNameNS(SoapReply.SOAP11, "Body").item(0).getFirstChild();
        assertEquals(method + "Response", response.getLocalName());
        List<String> values = new ArrayList<>();
        for (Node n = response.getFirstChild(); n != null; n = n.getNextSibling()) {
            values.add(n.getTextContent());
        }
        return values;
    }

    private static String threePartVersion() {
        String[] v = VamtProduct.amtVersion().split("\\.");
        return v[0] + "." + v[1] + "." + v[2];
    }

    @Test
    void infoCallsAnswerWithTheVmsData() throws Exception {
        assertEquals(List.of("0", threePartVersion()), outputs(call("/SecurityAdministrationService",
                soapLite("SecurityAdministration", "GetCoreVersion", null)), "GetCoreVersion"));
        assertEquals(List.of("0", "desktop-02"), outputs(call("/NetworkAdministrationService",
                soapLite("NetworkAdministration", "GetHostName", null)), "GetHostName"));
        assertEquals(List.of("0", ""), outputs(call("/NetworkAdministrationService",
                soapLite("NetworkAdministration", "GetDomainName", null)), "GetDomainName"));
        assertEquals(List.of("0", "0"), outputs(call("/RemoteControlService",
                soapLite("RemoteControl", "GetSystemPowerState", null)), "GetSystemPowerState"), "running: S0");
        // IanaOemNumber, OemDefined IDE-R (AMT_BootCapabilities.IDER), special commands PXE|HD|CD, all four
        // power actions, firmware
        assertEquals(List.of("0", "343", "1", String.valueOf(0x100 | 0x200 | 0x1000), "15", "0"),
                outputs(call("/RemoteControlService", soapLite("RemoteControl", "GetRemoteControlCapabilities",
                        null)), "GetRemoteControlCapabilities"));
        assertEquals(List.of("2066"), outputs(call("/NetworkAdministrationService",
                soapLite("NetworkAdministration", "EnumerateInterfaces", null)), "EnumerateInterfaces"),
                "netinfo is not offered: PT_STATUS_UNSUPPORTED");
        assertTrue(audited.isEmpty(), "reads are not audited");
    }

    @Test
    void remoteControlDrivesTheVmThroughThePowerProvider() throws Exception {
        String powerDown = soapLite("RemoteControl", "RemoteControl",
                "<Command>18</Command><IanaOemNumber>343</IanaOemNumber>");
        assertEquals(List.of("0"), outputs(call("/RemoteControlService", powerDown), "RemoteControl"));
        assertEquals(MachineState.SHUT_OFF, demo.hypervisor().machine(DemoHypervisor.DESKTOP_02).orElseThrow().state());
        assertEquals(List.of("17/1"), audited);
        assertEquals(List.of("0", "5"), outputs(call("/RemoteControlService",
                soapLite("RemoteControl", "GetSystemPowerState", null)), "GetSystemPowerState"), "off: S5");
        assertEquals(List.of("2"), outputs(call("/RemoteControlService", powerDown), "RemoteControl"),
                "an off VM cannot power down: NOT_READY");
        assertEquals(List.of("17/1"), audited, "nothing done, nothing audited");

        // SOAP::Lite may send RemoteControl in an envelope without namespaces (compat §6)
        String powerUpPxe = "<Envelope><Body><RemoteControl xmlns=\"http://schemas.intel.com/platform/client/"
                + "RemoteControl/2004/01\"><Command>17</Command><IanaOemNumber>343</IanaOemNumber>"
                + "<SpecialCommand>1</SpecialCommand></RemoteControl></Body></Envelope>";
        assertEquals(List.of("0"), outputs(call("/RemoteControlService", powerUpPxe), "RemoteControl"));
        assertEquals(MachineState.RUNNING, demo.hypervisor().machine(DemoHypervisor.DESKTOP_02).orElseThrow().state());
        assertEquals(List.of("17/1", "17/4", "17/0"), audited, "boot device set, then powered up");

        assertEquals(List.of("0"), outputs(call("/RemoteControlService", soapLite("RemoteControl", "RemoteControl",
                "<Command>16</Command><IanaOemNumber>343</IanaOemNumber>")), "RemoteControl"));
        assertEquals(List.of("0"), outputs(call("/RemoteControlService", soapLite("RemoteControl", "RemoteControl",
                "<Command>19</Command><IanaOemNumber>4542</IanaOemNumber>")), "RemoteControl"), "ASF's IANA number");
        assertEquals(List.of("17/1", "17/4", "17/0", "17/3", "17/2"), audited);
        assertEquals(MachineState.RUNNING, demo.hypervisor().machine(DemoHypervisor.DESKTOP_02).orElseThrow().state());
    }

    @Test
    void aRemoteControlWhoseCriticalAuditRecordCannotBeWrittenDoesNothingAndAnswersAuditFail() throws Exception {
        String state = soapLite("RemoteControl", "GetSystemPowerState", null);
        unrecordable.add("17/1");
        assertEquals(List.of(Long.toString(0x81B)), outputs(call("/RemoteControlService", soapLite("RemoteControl",
                "RemoteControl", "<Command>18</Command><IanaOemNumber>343</IanaOemNumber>")), "RemoteControl"));
        assertEquals(List.of("0", "0"), outputs(call("/RemoteControlService", state), "GetSystemPowerState"),
                "still running: S0");
        unrecordable.clear();
        unrecordable.add("17/4");
        assertEquals(List.of(Long.toString(0x81B)), outputs(call("/RemoteControlService", soapLite("RemoteControl",
                "RemoteControl", "<Command>16</Command><IanaOemNumber>343</IanaOemNumber><SpecialCommand>1"
                        + "</SpecialCommand>")), "RemoteControl"), "a critical boot option stops the reset too");
        assertEquals(List.of("0", "0"), outputs(call("/RemoteControlService", state), "GetSystemPowerState"));
        assertTrue(audited.isEmpty(), "nothing done, nothing audited");
        assertEquals(List.of("0"), outputs(call("/RemoteControlService", soapLite("RemoteControl", "RemoteControl",
                "<Command>18</Command><IanaOemNumber>343</IanaOemNumber>")), "RemoteControl"),
                "without a boot option the power down is not critical and runs");
        assertEquals(List.of("17/1"), audited);
    }

    @Test
    void badRemoteControlArgumentsGetAmtStatusCodesAndChangeNothing() throws Exception {
        String[][] cases = {
            {"<Command>99</Command><IanaOemNumber>343</IanaOemNumber>", "2051"},                 // invalid command
            {"<Command>18</Command><IanaOemNumber>1</IanaOemNumber>", "2049"},                   // unsupported OEM
            {"<Command>abc</Command><IanaOemNumber>343</IanaOemNumber>", "36"},                  // invalid parameter
            {"<IanaOemNumber>343</IanaOemNumber>", "36"},
            {"<Command>16</Command><IanaOemNumber>343</IanaOemNumber><SpecialCommand>3</SpecialCommand>", "2050"},
            {"<Command>16</Command><IanaOemNumber>343</IanaOemNumber><SpecialCommand>193</SpecialCommand>"
                + "<OEMparameters>1</OEMparameters>", "2050"},                                  // BIOS setup
            {"<Command>18</Command><IanaOemNumber>343</IanaOemNumber><SpecialCommand>1</SpecialCommand>", "2052"},
            {"<Command>16</Command><IanaOemNumber>343</IanaOemNumber><SpecialCommand>77</SpecialCommand>", "2052"},
        };
        for (String[] c : cases) {
            assertEquals(List.of(c[1]), outputs(call("/RemoteControlService",
                    soapLite("RemoteControl", "RemoteControl", c[0])), "RemoteControl"), c[0]);
        }
        assertEquals(MachineState.RUNNING, demo.hypervisor().machine(DemoHypervisor.DESKTOP_02).orElseThrow().state());
        assertTrue(audited.isEmpty());
    }

    @Test
    void malformedRequestsGetSoapFaultsWithoutDetails() {
        String[] bodies = {
            "not xml <",
            "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><x>&e;</x>",
            "<Envelope><Header/></Envelope>",
            "<Envelope><Body></Body></Envelope>",
            soapLite("NetworkAdministration", "GetSystemPowerState", null),     // wrong service's namespace
            soapLite("RemoteControl", "FormatDisk", null),                     // no such method
        };
        for (String body : bodies) {
            EndpointPathHandler.Reply r = call("/RemoteControlService", body);
            assertEquals(500, r.status(), body);
            assertTrue(r.body().contains("<faultcode>SOAP-ENV:Client</faultcode>"), r.body());
            assertFalse(r.body().contains("root:"), "no file content leaks");
            assertFalse(r.body().contains("Exception"), r.body());
        }
        assertEquals(500, call("/NoSuchService", soapLite("RemoteControl", "GetSystemPowerState", null)).status());
    }
}
