package org.vamt.eventing.internal;

import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import org.vamt.wsman.eventing.DeliveryMode;
import org.vamt.wsman.eventing.ReferenceParameter;
import org.vamt.markup.Markup;

/**
 * The envelope AMT pushes for an event: a wsman Event carrying a CIM_AlertIndication, with the
 * prefixes, header order and properties of a captured AMT event (MeshCentral's amtevents.js parses
 * that sample), the subscriber's reference parameters as headers, and {@code AckRequested} for
 * PushWithAck.
 */
final class Indications {
    static final String SOAP = "http://www.w3.org/2003/05/soap-envelope";
    static final String WSA = "http://schemas.xmlsoap.org/ws/2004/08/addressing";
    static final String WSMAN = "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd";
    static final String ALERT = "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_AlertIndication";
    static final String EVENT_ACTION = "http://schemas.dmtf.org/wbem/wsman/1/wsman/Event";
    static final String ALL_EVENTS = "Intel(r) AMT:AllEvents";
    private static final AtomicLong SEQUENCE = new AtomicLong(System.currentTimeMillis() / 1000);

    private Indications() {
    }

    static String envelope(Alert alert, StoredSubscription to) {
        StringBuilder s = new StringBuilder(1600);
        s.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?><a:Envelope xmlns:a=\"").append(SOAP)
                .append("\" xmlns:b=\"").append(WSA).append("\" xmlns:c=\"").append(WSMAN)
                .append("\" xmlns:g=\"").append(ALERT)
                .append("\" xmlns:h=\"http://schemas.dmtf.org/wbem/wscim/1/common\"")
                .append(" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">");
        s.append("<a:Header>");
        element(s, "b:To", to.notifyTo());
        s.append("<b:ReplyTo><b:Address>").append(WSA).append("/role/anonymous</b:Address></b:ReplyTo>");
        if (to.mode() == DeliveryMode.PUSH_WITH_ACK) {
            s.append("<c:AckRequested></c:AckRequested>");
        }
        s.append("<b:Action a:mustUnderstand=\"true\">").append(EVENT_ACTION).append("</b:Action>");
        element(s, "b:MessageID", "uuid:" + UUID.randomUUID());
        element(s, "c:ResourceURI", ALERT);
        int n = 0;
        for (ReferenceParameter p : to.referenceParameters()) {
            String prefix = "r" + n++;
            s.append('<').append(prefix).append(':').append(p.localName()).append(" xmlns:").append(prefix)
                    .append("=\"");
            Markup.escape(p.namespace(), true, s);
            s.append("\" b:IsReferenceParameter=\"true\">");
            Markup.escape(p.text(), false, s);
            s.append("</").append(prefix).append(':').append(p.localName()).append('>');
        }
        s.append("</a:Header><a:Body><g:CIM_AlertIndication>");
        element(s, "g:AlertType", "8");
        element(s, "g:AlertingElementFormat", "2");
        element(s, "g:AlertingManagedElement",
                "Interop:CIM_ComputerSystem.CreationClassName=\"CIM_ComputerSystem\",Name=\"Intel(r) AMT\"");
        element(s, "g:IndicationFilterName", to.filterName() == null ? ALL_EVENTS : to.filterName());
        element(s, "g:IndicationIdentifier", "Intel(r):" + SEQUENCE.incrementAndGet());
        s.append("<g:IndicationTime><h:Datetime>")
                .append(DateTimeFormatter.ISO_INSTANT.format(alert.time().truncatedTo(ChronoUnit.MILLIS)))
                .append("</h:Datetime></g:IndicationTime>");
        element(s, "g:Message", alert.message());
        for (String argument : alert.arguments()) {
            element(s, "g:MessageArguments", argument);
        }
        element(s, "g:MessageID", alert.messageId());
        element(s, "g:OtherAlertingElementFormat", "");
        element(s, "g:OtherSeverity", "");
        element(s, "g:OwningEntity", "Intel(r) AMT");
        element(s, "g:PerceivedSeverity", Integer.toString(alert.perceivedSeverity()));
        element(s, "g:ProbableCause", "0");
        element(s, "g:SystemName", "Intel(r) AMT");
        s.append("</g:CIM_AlertIndication></a:Body></a:Envelope>");
        return s.toString();
    }

    private static void element(StringBuilder s, String name, String text) {
        s.append('<').append(name).append('>');
        Markup.escape(text, false, s);
        s.append("</").append(name).append('>');
    }
}
