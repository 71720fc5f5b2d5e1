package org.vamt.provider.tls.internal;

import java.security.PublicKey;
import java.util.Arrays;

/** The AMT form of a public key: the DER RSAPublicKey (PKCS #1) inside an X.509 SubjectPublicKeyInfo. */
final class PublicKeys {
    private PublicKeys() {
    }

    /**
     * The BIT STRING content of {@code key}'s SubjectPublicKeyInfo. For RSA that is the
     * RSAPublicKey, which is what AMT's DERKey holds and what MeshCentral compares with the
     * public key of each certificate to pair certificates with key pairs.
     */
    static byte[] rsaPublicKey(PublicKey key) {
        byte[] spki = key.getEncoded();
        int[] pos = {0};
        expect(spki, pos, 0x30);
        length(spki, pos);                  // SubjectPublicKeyInfo SEQUENCE
        expect(spki, pos, 0x30);
        int algorithmLength = length(spki, pos);
        pos[0] += algorithmLength;          // skip AlgorithmIdentifier
        expect(spki, pos, 0x03);
        int bits = length(spki, pos);
        if (spki[pos[0]] != 0) {
            throw new IllegalArgumentException("public key bit string has unused bits");
        }
        return Arrays.copyOfRange(spki, pos[0] + 1, pos[0] + bits);
    }

    private static void expect(byte[] der, int[] pos, int tag) {
        if ((der[pos[0]++] & 0xff) != tag) {
            throw new IllegalArgumentException("unexpected DER tag in SubjectPublicKeyInfo");
        }
    }

    private static int length(byte[] der, int[] pos) {
        int first = der[pos[0]++] & 0xff;
        if (first < 0x80) {
            return first;
        }
        int n = first & 0x7f;
        int len = 0;
        for (int i = 0; i < n; i++) {
            len = (len << 8) | (der[pos[0]++] & 0xff);
        }
        return len;
    }
}
