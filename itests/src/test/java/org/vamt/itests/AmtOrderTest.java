package org.vamt.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.util.List;
import org.junit.Test;

/** The order checker of the golden test catches what it must, on answers shaped as vAMT's. */
public class AmtOrderTest {
    private static final String ENV = "<a:Envelope xmlns:a=\"http://www.w3.org/2003/05/soap-envelope\""
            + " xmlns:b=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\""
            + " xmlns:c=\"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd\""
            + " xmlns:g=\"http://schemas.xmlsoap.org/ws/2004/09/enumeration\" xmlns:h=\"urn:h\"><a:Header></a:Header>"
            + "<a:Body><g:PullResponse><g:Items>%s</g:Items></g:PullResponse></a:Body></a:Envelope>";

    private static List<String> check(String items) throws Exception {
        return AmtOrder.violations("t", String.format(ENV, items));
    }

    @Test
    public void asciiOrderPassesAndMofOrderFails() throws Exception {
        assertEquals(List.of(), check("<h:CIM_Chip><h:CanBeFRUed>true</h:CanBeFRUed><h:CreationClassName>CIM_Chip"
                + "</h:CreationClassName><h:ElementName>x</h:ElementName><h:OperationalStatus>0</h:OperationalStatus>"
                + "<h:OperationalStatus>2</h:OperationalStatus><h:Tag>CPU 0</h:Tag></h:CIM_Chip>"));
        // vAMT's answer before the rule: MOF order, inherited properties first
        List<String> mof = check("<h:CIM_Chip><h:ElementName>x</h:ElementName><h:Tag>CPU 0</h:Tag>"
                + "<h:CreationClassName>CIM_Chip</h:CreationClassName><h:CanBeFRUed>true</h:CanBeFRUed></h:CIM_Chip>");
        assertEquals(mof.toString(), 1, mof.size());
        assertEquals("upper case sorts before lower case", 1,
                check("<h:AMT_GeneralSettings><h:IdleWakeTimeout>1</h:IdleWakeTimeout><h:IPAddress>x</h:IPAddress>"
                        + "</h:AMT_GeneralSettings>").size());
    }

    @Test
    public void ownPropertiesLastForTheThreeExceptions() throws Exception {
        assertEquals(List.of(), check("<h:IPS_PowerManagementService><h:CreationClassName>x</h:CreationClassName>"
                + "<h:SystemName>y</h:SystemName><h:OSPowerSavingState>2</h:OSPowerSavingState>"
                + "</h:IPS_PowerManagementService>"));
        assertEquals(1, check("<h:IPS_PowerManagementService><h:CreationClassName>x</h:CreationClassName>"
                + "<h:OSPowerSavingState>2</h:OSPowerSavingState><h:SystemName>y</h:SystemName>"
                + "</h:IPS_PowerManagementService>").size());
    }

    @Test
    public void selectorsInAlphabeticalOrderInsideReferencesAndEprs() throws Exception {
        String epr = "<h:Dependent><b:Address>x</b:Address><b:ReferenceParameters><c:ResourceURI>u</c:ResourceURI>"
                + "<c:SelectorSet>%s</c:SelectorSet></b:ReferenceParameters></h:Dependent>";
        String sorted = "<c:Selector Name=\"CreationClassName\">a</c:Selector><c:Selector Name=\"Name\">b</c:Selector>";
        String unsorted = "<c:Selector Name=\"Name\">b</c:Selector><c:Selector Name=\"CreationClassName\">a</c:Selector>";
        assertEquals(List.of(), check("<h:CIM_X>" + String.format(epr, sorted) + "</h:CIM_X>"));
        List<String> bad = check("<h:CIM_X>" + String.format(epr, unsorted) + "</h:CIM_X>");
        assertEquals(bad.toString(), 1, bad.size());
        assertTrue(bad.get(0), bad.get(0).contains("[Name, CreationClassName]"));
    }
}
