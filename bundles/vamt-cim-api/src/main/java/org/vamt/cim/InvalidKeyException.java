package org.vamt.cim;

/**
 * The keys given to name an instance do not fit its class: a name that is not a key, or a
 * value of the wrong form. Front ends report it as a selector problem, not a parameter problem.
 */
public class InvalidKeyException extends CimException {
    private static final long serialVersionUID = 1L;

    public InvalidKeyException(String message) {
        super(CimStatus.INVALID_PARAMETER, message);
    }
}
