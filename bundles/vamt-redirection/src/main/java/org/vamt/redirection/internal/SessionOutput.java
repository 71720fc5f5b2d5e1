package org.vamt.redirection.internal;

import java.io.IOException;
import java.io.OutputStream;

/** The client side of a session, written by the session thread and the console pump: one message at a time. */
final class SessionOutput {
    private final OutputStream out;

    SessionOutput(OutputStream out) {
        this.out = out;
    }

    /** Writes and flushes one whole message, so it leaves as its own segment where the network allows. */
    synchronized void send(byte[] message) throws IOException {
        out.write(message);
        out.flush();
    }

    synchronized void send(byte[] message, int offset, int length) throws IOException {
        out.write(message, offset, length);
        out.flush();
    }
}
