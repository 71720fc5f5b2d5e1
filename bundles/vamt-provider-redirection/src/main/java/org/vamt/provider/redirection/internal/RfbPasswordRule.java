package org.vamt.provider.redirection.internal;

import org.vamt.cim.CimException;
import org.vamt.cim.CimStatus;

/**
 * AMT's rule for IPS_KVMRedirectionSettingData.RFBPassword: exactly 8 characters (VNC
 * authentication uses 8), with an upper-case letter, a lower-case letter, a digit and a special
 * character, and none of {@code " , :}.
 */
final class RfbPasswordRule {
    static final int LENGTH = 8;

    private RfbPasswordRule() {
    }

    static void check(String password) throws CimException {
        boolean upper = false;
        boolean lower = false;
        boolean digit = false;
        boolean special = false;
        for (char c : password.toCharArray()) {
            if (c == '"' || c == ',' || c == ':' || c < 0x21 || c > 0x7E) {
                throw refused();
            }
            upper |= Character.isUpperCase(c);
            lower |= Character.isLowerCase(c);
            digit |= Character.isDigit(c);
            special |= !Character.isLetterOrDigit(c);
        }
        if (password.length() != LENGTH || !upper || !lower || !digit || !special) {
            throw refused();
        }
    }

    private static CimException refused() {
        // Never echo the password: the message goes to the client and the log.
        return new CimException(CimStatus.INVALID_PARAMETER, "RFBPassword must be 8 printable ASCII characters"
                + " with an upper-case letter, a lower-case letter, a digit and a special character, without \" , :");
    }
}
