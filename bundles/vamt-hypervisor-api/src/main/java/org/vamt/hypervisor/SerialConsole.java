package org.vamt.hypervisor;

import java.io.Closeable;
import java.io.IOException;

/**
 * A byte stream to a running machine's first serial port, both directions: what serial-over-LAN
 * carries. Reads and writes may happen on different threads at the same time; {@link #close()}
 * may be called from any thread and ends a blocked {@link #read}.
 */
public interface SerialConsole extends Closeable {

    /**
     * Blocks until the guest has written something and copies it into {@code buffer}.
     *
     * @return the number of bytes read, or -1 when the stream ended (the machine stopped, or
     *         another client took the console over)
     */
    int read(byte[] buffer) throws IOException;

    /** Sends bytes to the guest's serial port, as if typed on its terminal. */
    void write(byte[] data, int offset, int length) throws IOException;

    /** Ends the stream; idempotent. */
    @Override
    void close();
}
