package org.vamt.legacysoap.internal;

import java.util.Map;
import org.vamt.endpoints.EndpointPathHandler.Reply;
import org.vamt.markup.Markup;

/**
 * SOAP 1.1 answers as AMT's legacy interface gives them: {@code <{Method}Response xmlns="{ns}">}
 * whose first child is the PT_STATUS and the rest the outputs in order (SOAP::Lite reads them by
 * position); faults with HTTP 500, as SOAP 1.1 wants.
 */
final class SoapReply {
    static final String SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/";
    static final String CONTENT_TYPE = "text/xml; charset=utf-8";

    private SoapReply() {
    }

    /** A response: status {@code ptStatus}, then {@code outputs} in iteration order. */
    static Reply response(String namespace, String method, long ptStatus, Map<String, ?> outputs) {
        StringBuilder b = new StringBuilder(512);
        b.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>")
                .append("<SOAP-ENV:Envelope xmlns:SOAP-ENV=\"").append(SOAP11).append("\">")
                .append("<SOAP-ENV:Body><").append(method).append("Response xmlns=\"").append(Markup.escape(namespace))
                .append("\"><Status>").append(ptStatus).append("</Status>");
        for (Map.Entry<String, ?> o : outputs.entrySet()) {
            b.append('<').append(o.getKey()).append('>').append(Markup.escape(String.valueOf(o.getValue())))
                    .append("</").append(o.getKey()).append('>');
        }
        b.append("</").append(method).append("Response></SOAP-ENV:Body></SOAP-ENV:Envelope>");
        return new Reply(200, CONTENT_TYPE, b.toString());
    }

    /** A SOAP 1.1 fault; {@code client} true when the request was at fault, false for the server. */
    static Reply fault(boolean client, String reason) {
        String body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
                + "<SOAP-ENV:Envelope xmlns:SOAP-ENV=\"" + SOAP11 + "\"><SOAP-ENV:Body><SOAP-ENV:Fault>"
                + "<faultcode>SOAP-ENV:" + (client ? "Client" : "Server") + "</faultcode>"
                + "<faultstring>" + Markup.escape(reason) + "</faultstring>"
                + "</SOAP-ENV:Fault></SOAP-ENV:Body></SOAP-ENV:Envelope>";
        return new Reply(500, CONTENT_TYPE, body);
    }
}
