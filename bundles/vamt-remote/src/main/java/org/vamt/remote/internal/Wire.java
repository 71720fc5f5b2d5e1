package org.vamt.remote.internal;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.ObjectInputFilter;
import java.io.ObjectInputStream;
import java.io.ObjectStreamClass;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The vamt.tcp wire format. A connection starts with a mutual challenge-response on a shared
 * secret (HMAC-SHA256 over both sides' random nonces), so neither side deserializes a byte from a
 * peer that does not know the secret; then it carries any number of calls, one at a time:
 * {@code [serviceKey, method, parameterTypeNames, args]} answered by {@code [true, result]} or
 * {@code [false, reason, message]}. Deserialization accepts only JDK value types and the vAMT API
 * packages. There is no encryption: confine the traffic to a management network (docs/scale-out.md).
 */
final class Wire {
    static final int MAGIC = 0x56414D54; // "VAMT"
    static final int VERSION = 1;
    private static final int NONCE_BYTES = 32;
    private static final SecureRandom RANDOM = new SecureRandom();

    /** What a call may carry: JDK values and collections, vAMT's hypervisor API records; nothing else. */
    static final ObjectInputFilter FILTER = ObjectInputFilter.Config.createFilter(
            "maxdepth=16;maxrefs=200000;maxarray=100000;maxbytes=33554432;"
                    + "java.lang.*;java.util.*;java.time.*;org.vamt.hypervisor.*;org.vamt.remote.*;!*");

    private Wire() {
    }

    static byte[] nonce() {
        byte[] n = new byte[NONCE_BYTES];
        RANDOM.nextBytes(n);
        return n;
    }

    static byte[] hmac(byte[] secret, String role, byte[] first, byte[] second) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret, "HmacSHA256"));
            mac.update(role.getBytes(StandardCharsets.US_ASCII));
            mac.update(first);
            mac.update(second);
            return mac.doFinal();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available", e);
        }
    }

    /** Server side of the handshake; false (and nothing else said) when the peer does not know the secret. */
    static boolean acceptPeer(DataInputStream in, DataOutputStream out, byte[] secret) throws IOException {
        byte[] serverNonce = nonce();
        out.writeInt(MAGIC);
        out.writeInt(VERSION);
        out.write(serverNonce);
        out.flush();
        byte[] clientNonce = new byte[NONCE_BYTES];
        in.readFully(clientNonce);
        byte[] proof = new byte[32];
        in.readFully(proof);
        if (!MessageDigest.isEqual(proof, hmac(secret, "client", serverNonce, clientNonce))) {
            return false;
        }
        out.write(hmac(secret, "server", clientNonce, serverNonce));
        out.flush();
        return true;
    }

    /** Client side: proves the secret and checks that the server knows it too. */
    static void authenticate(DataInputStream in, DataOutputStream out, byte[] secret) throws IOException {
        if (in.readInt() != MAGIC) {
            throw new IOException("not a vAMT node transport");
        }
        int version = in.readInt();
        if (version != VERSION) {
            throw new IOException("unsupported vAMT transport version " + version);
        }
        byte[] serverNonce = new byte[NONCE_BYTES];
        in.readFully(serverNonce);
        byte[] clientNonce = nonce();
        out.write(clientNonce);
        out.write(hmac(secret, "client", serverNonce, clientNonce));
        out.flush();
        byte[] proof = new byte[32];
        in.readFully(proof);
        if (!MessageDigest.isEqual(proof, hmac(secret, "server", clientNonce, serverNonce))) {
            throw new IOException("the node did not prove the shared secret");
        }
    }

    /** An object stream that resolves classes through the given loader (bundle class space) and filters. */
    static ObjectInputStream objectInput(InputStream in, ClassLoader loader) throws IOException {
        ObjectInputStream ois = new ObjectInputStream(in) {
            @Override
            protected Class<?> resolveClass(ObjectStreamClass desc) throws IOException, ClassNotFoundException {
                try {
                    return Class.forName(desc.getName(), false, loader);
                } catch (ClassNotFoundException e) {
                    return super.resolveClass(desc);
                }
            }
        };
        ois.setObjectInputFilter(FILTER);
        return ois;
    }

    private static final Map<String, Class<?>> PRIMITIVES = Map.of("int", int.class, "long", long.class,
            "boolean", boolean.class, "byte", byte.class, "short", short.class, "char", char.class,
            "float", float.class, "double", double.class);

    static Class<?> typeNamed(String name, ClassLoader loader) throws ClassNotFoundException {
        Class<?> primitive = PRIMITIVES.get(name);
        return primitive != null ? primitive : Class.forName(name, false, loader);
    }
}
