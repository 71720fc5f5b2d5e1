package org.vamt.cira.apf;

import java.io.IOException;

/** Bytes that are no APF message (an unknown type, a length beyond the limits): the connection is dropped. */
public class ApfProtocolException extends IOException {
    private static final long serialVersionUID = 1L;

    public ApfProtocolException(String message) {
        super(message);
    }
}
