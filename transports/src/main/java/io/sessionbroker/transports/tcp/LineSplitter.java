package io.sessionbroker.transports.tcp;

import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;

/**
 * Cuts one TCP connection's bytes into lines at each {@code \n} (the line without it; a CR before
 * it is the reader's to strip), and holds lines back while paused. Replaces Vert.x's {@code
 * RecordParser} (issue 17): that one is 72 bytes and a 24-byte copy of its delimiter for every
 * connection's whole life; this one holds nothing between lines but its 32 bytes — the bytes of a
 * line on its way, or of lines waiting while paused, only until they are handed on.
 *
 * <p>On the socket's event loop only. {@link #resume} and {@link #pause} may be called from the
 * line handler; a line is never handed on from inside another.
 */
final class LineSplitter {

  private final Handler<Buffer> onLine;

  /** Bytes received and not yet handed on, from {@link #start}; null when there are none. */
  private Buffer held;

  private int start;
  private boolean paused;
  private boolean splitting;

  LineSplitter(Handler<Buffer> onLine) {
    this.onLine = onLine;
  }

  /** The next bytes of the stream; hands on every line they complete, unless paused. */
  void handle(Buffer bytes) {
    if (held == null) {
      held = bytes;
      start = 0;
    } else {
      held.appendBuffer(bytes);
    }
    split();
  }

  /** Holds back lines, the complete ones already received included, until {@link #resume}. */
  void pause() {
    paused = true;
  }

  /** Hands on the complete lines held back, then each as it completes. */
  void resume() {
    paused = false;
    split();
  }

  /** Bytes held: the start of a line on its way, or lines held back while paused. */
  int heldBytes() {
    return held == null ? 0 : held.length() - start;
  }

  private void split() {
    if (splitting) {
      return; // called from the line handler: the loop below goes on
    }
    splitting = true;
    try {
      while (!paused && held != null) {
        int newline = indexOfNewline(held, start);
        if (newline < 0) {
          keepRest();
          return;
        }
        Buffer line = held.getBuffer(start, newline);
        start = newline + 1;
        if (start == held.length()) {
          held = null;
          start = 0;
        }
        onLine.handle(line);
      }
    } finally {
      splitting = false;
    }
  }

  /** The start of a line on its way stays, without the lines before it. */
  private void keepRest() {
    if (start > 0) {
      held = held.getBuffer(start, held.length());
      start = 0;
    }
  }

  private static int indexOfNewline(Buffer bytes, int from) {
    for (int i = from; i < bytes.length(); i++) {
      if (bytes.getByte(i) == '\n') {
        return i;
      }
    }
    return -1;
  }
}
