package org.vamt.redirection.internal;

import java.io.IOException;

/**
 * One device of an IDE-R session as a byte-addressed, read-only image, the way the NBD export
 * reads it. Reads go out as READ(10) of whole read-ahead windows; the last window is kept, so the
 * small sequential reads a guest makes cost one round trip to the console per window.
 */
final class IderDrive implements NbdServer.Image {
    private final IderSession session;
    private final int device;
    private final int blockSize;
    private final long blocks;
    private final int windowBlocks;
    private long cachedWindow = -1;   // guarded by this
    private byte[] cached;            // guarded by this

    IderDrive(IderSession session, int device, long lastBlock, int blockSize, int readAheadBytes) {
        this.session = session;
        this.device = device;
        this.blockSize = blockSize;
        this.blocks = lastBlock + 1;
        this.windowBlocks = Math.max(1, Math.min(readAheadBytes / blockSize, 0xFFFF));
    }

    @Override
    public long size() {
        return blocks * blockSize;
    }

    @Override
    public synchronized void read(long offset, byte[] into, int at, int length) throws IOException {
        if (offset < 0 || length < 0 || offset + length > size()) {
            throw new IOException("read beyond the end of the medium");
        }
        long windowBytes = (long) windowBlocks * blockSize;
        while (length > 0) {
            long window = offset / windowBytes;
            if (window != cachedWindow) {
                long firstBlock = window * windowBlocks;
                int count = (int) Math.min(windowBlocks, blocks - firstBlock);
                cached = null;
                cachedWindow = -1;
                cached = session.read(device, firstBlock, count, blockSize);
                cachedWindow = window;
            }
            int from = (int) (offset - window * windowBytes);
            int n = Math.min(length, cached.length - from);
            System.arraycopy(cached, from, into, at, n);
            offset += n;
            at += n;
            length -= n;
        }
    }
}
