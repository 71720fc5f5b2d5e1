package org.vamt.wsman.internal;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.vamt.metrics.internal.PrometheusMetrics;

/** The request timers' labels, on the real registry and parsed requests. */
class RequestMetersTest {
    private final PrometheusMetrics registry = new PrometheusMetrics();
    private final RequestMeters meters = new RequestMeters(registry);
    private final RequestParser parser = new RequestParser();

    private WsmanRequest request(String action, String resourceUri) throws WsmanFault {
        return parser.parse(("<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\" "
                + "xmlns:a=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\" "
                + "xmlns:w=\"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd\"><s:Header>"
                + "<a:Action>" + action + "</a:Action><w:ResourceURI>" + resourceUri + "</w:ResourceURI>"
                + "</s:Header><s:Body/></s:Envelope>").getBytes(StandardCharsets.UTF_8));
    }

    private String scrape() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        registry.scrape(null, out);
        return out.toString(StandardCharsets.UTF_8);
    }

    private static String count(String action, String className, String status) {
        return "vamt_wsman_requests_seconds_count{action=\"" + action + "\",class=\"" + className + "\",status=\""
                + status + "\"}";
    }

    @Test
    void requestsAreCountedByClassActionAndStatus() throws Exception {
        WsmanRequest get = request(Ns.ACTION_GET, ResourceUris.AMT + "AMT_GeneralSettings");
        for (int i = 0; i < 3; i++) {
            meters.record(get, null, System.nanoTime());
        }
        meters.record(get, WsmanFault.accessDenied("no"), System.nanoTime());
        meters.record(request(ResourceUris.CIM + "CIM_PowerManagementService/RequestPowerStateChange",
                ResourceUris.CIM + "CIM_PowerManagementService"), null, System.nanoTime());
        meters.record(request(Ns.ACTION_ENUMERATE, ResourceUris.ALL_CLASSES), null, System.nanoTime());
        meters.record(request(Ns.ACTION_GET, "http://example.com/not/a/schema/X"), null, System.nanoTime());
        meters.record(null, WsmanFault.invalidHeader("not even XML"), System.nanoTime());

        String text = scrape();
        assertTrue(text.contains(count("Get", "AMT_GeneralSettings", "ok") + " 3"), text);
        assertTrue(text.contains(count("Get", "AMT_GeneralSettings", "AccessDenied") + " 1"), text);
        assertTrue(text.contains(count("Invoke", "CIM_PowerManagementService", "ok") + " 1"), text);
        assertTrue(text.contains(count("Enumerate", "*", "ok") + " 1"), text);
        assertTrue(text.contains(count("Get", "other", "ok") + " 1"), text);
        assertTrue(text.contains(count("unknown", "", "InvalidMessageInformationHeader") + " 1"), text);
    }

    @Test
    void classLabelsAreBoundedAgainstClientsInventingResourceUris() throws Exception {
        for (int i = 0; i < RequestMeters.MAX_CLASSES + 20; i++) {
            meters.record(request(Ns.ACTION_GET, ResourceUris.CIM + "CIM_Invented" + i), null, System.nanoTime());
        }
        String text = scrape();
        assertTrue(text.contains(count("Get", "other", "ok") + " 20"), "past the bound, one label: other");
        assertTrue(!text.contains("CIM_Invented" + RequestMeters.MAX_CLASSES + "\""), "no label of its own");
    }
}
