package org.vamt.security.digest;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** The Digest header parameters as clients write them: quoted or not, escapes, commas inside quotes. */
class DigestMathTest {
    @Test
    void parametersAreReadQuotedOrNot() {
        Map<String, String> p = DigestMath.parameters("username=\"admin\", Realm=\"Digest:A3829B3827DE4D33D4449B366831B8DE\","
                + " nonce=\"abc=\",uri=\"/wsman\", response=\"0123\", qop=auth, nc=00000001 , cnonce=\" c,n \"");
        assertEquals("admin", p.get("username"));
        assertEquals("Digest:A3829B3827DE4D33D4449B366831B8DE", p.get("realm"), "keys lower-case");
        assertEquals("abc=", p.get("nonce"));
        assertEquals("/wsman", p.get("uri"));
        assertEquals("auth", p.get("qop"));
        assertEquals("00000001", p.get("nc"), "unquoted values trimmed");
        assertEquals("c,n", p.get("cnonce"), "a comma inside quotes is kept");
    }

    @Test
    void escapesInsideQuotesAndTheFirstOfRepeatedKeysWin() {
        Map<String, String> p = DigestMath.parameters("username=\"a\\\"b\\\\c\", username=\"other\", uri=\"x\\");
        assertEquals("a\"b\\c", p.get("username"));
        assertEquals("x\\", p.get("uri"), "a backslash ending the header is itself");
    }
}
