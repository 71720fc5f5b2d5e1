package org.vamt.wsman.internal;

/** XML namespaces of WS-Management and the prefixes real AMT declares them with. */
final class Ns {
    static final String SOAP = "http://www.w3.org/2003/05/soap-envelope";
    static final String SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/";
    static final String WSA = "http://schemas.xmlsoap.org/ws/2004/08/addressing";
    static final String WSMAN = "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd";
    static final String WSEN = "http://schemas.xmlsoap.org/ws/2004/09/enumeration";
    static final String WSE = "http://schemas.xmlsoap.org/ws/2004/08/eventing";
    /** WS-Trust, whose IssuedTokens carry a subscriber's credentials for pushing events (DSP0226 §10.2.4). */
    static final String WST = "http://schemas.xmlsoap.org/ws/2005/02/trust";
    static final String WSS = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd";
    static final String WXF = "http://schemas.xmlsoap.org/ws/2004/09/transfer";
    static final String WSMID = "http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd";
    static final String CIM_COMMON = "http://schemas.dmtf.org/wbem/wscim/1/common";
    static final String WSMB = "http://schemas.dmtf.org/wbem/wsman/1/cimbinding.xsd";
    static final String XSI = "http://www.w3.org/2001/XMLSchema-instance";

    static final String ANONYMOUS = WSA + "/role/anonymous";
    static final String FAULT_DETAIL = "http://schemas.dmtf.org/wbem/wsman/1/wsman/faultDetail/";

    /** DSP0227 association traversal and DSP0226 selector filtering of Enumerate. */
    static final String ASSOCIATION_FILTER = "http://schemas.dmtf.org/wbem/wsman/1/cimbinding/associationFilter";
    static final String SELECTOR_FILTER = "http://schemas.dmtf.org/wbem/wsman/1/wsman/SelectorFilter";

    static final String ACTION_GET = WXF + "/Get";
    static final String ACTION_PUT = WXF + "/Put";
    static final String ACTION_CREATE = WXF + "/Create";
    static final String ACTION_DELETE = WXF + "/Delete";
    static final String ACTION_ENUMERATE = WSEN + "/Enumerate";
    static final String ACTION_PULL = WSEN + "/Pull";
    static final String ACTION_RELEASE = WSEN + "/Release";

    static final String ACTION_SUBSCRIBE = WSE + "/Subscribe";
    static final String ACTION_RENEW = WSE + "/Renew";
    static final String ACTION_UNSUBSCRIBE = WSE + "/Unsubscribe";
    static final String ACTION_GET_STATUS = WSE + "/GetStatus";

    private Ns() {
    }
}
