package org.vamt.cim;

/** A CIM operation failed with a {@link CimStatus}; front ends turn it into a protocol fault. */
public class CimException extends Exception {
    private static final long serialVersionUID = 1L;

    private final CimStatus status;

    public CimException(CimStatus status, String message) {
        super(message);
        this.status = status;
    }

    public CimException(CimStatus status, String message, Throwable cause) {
        super(message, cause);
        this.status = status;
    }

    public CimStatus status() {
        return status;
    }

    @Override
    public String toString() {
        return "CIM_ERR_" + status + ": " + getMessage();
    }
}
