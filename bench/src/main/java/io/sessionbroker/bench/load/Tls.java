package io.sessionbroker.bench.load;

import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManagerFactory;

/**
 * TLS for the load generator's devices ({@code --tls-ca FILE}): the JDK's {@link SSLEngine} over
 * the worker's non-blocking sockets. The worker drives thousands of devices from one selector
 * thread, so a blocking {@code SSLSocket} does not fit and Vert.x would mean rewriting the worker;
 * the engine is the JDK's own TLS, only the pumping of bytes between engine and socket is written
 * here. Every device does a full handshake: engines are created without a peer host and port, so
 * the JDK's client session cache never resumes a session. The server certificate is checked against
 * the CA file; its host name is not (the bench connects to an address).
 */
final class Tls {

  private static final ByteBuffer EMPTY = ByteBuffer.allocate(0);

  private final SSLContext context;

  /** One worker thread writes one record at a time: one outgoing buffer serves every device. */
  private ByteBuffer out;

  Tls(String caPemFile) throws IOException {
    try (InputStream in = new FileInputStream(caPemFile)) {
      KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
      trust.load(null, null);
      int i = 0;
      for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
        trust.setCertificateEntry("ca" + i++, c);
      }
      TrustManagerFactory tmf =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(trust);
      context = SSLContext.getInstance("TLS");
      context.init(null, tmf.getTrustManagers(), null);
    } catch (GeneralSecurityException e) {
      throw new IOException("cannot trust " + caPemFile + ": " + e, e);
    }
  }

  /** A client engine for one device, its handshake begun (nothing sent yet: see {@link Link}). */
  Link link() throws SSLException {
    SSLEngine engine = context.createSSLEngine();
    engine.setUseClientMode(true);
    engine.beginHandshake();
    if (out == null) {
      out = ByteBuffer.allocate(engine.getSession().getPacketBufferSize());
    }
    return new Link(engine);
  }

  /** One device's TLS connection. */
  final class Link {
    private final SSLEngine engine;
    private final ByteBuffer in;
    private boolean established;

    /** The broker's close_notify has come: what preceded it was handed out, then only EOF. */
    private boolean closed;

    private Link(SSLEngine engine) {
      this.engine = engine;
      this.in = ByteBuffer.allocate(engine.getSession().getPacketBufferSize());
    }

    boolean established() {
      return established;
    }

    /**
     * Advances the handshake as far as the bytes received allow; true once it is complete (then the
     * device may send its opening).
     */
    boolean handshake(SocketChannel channel, ByteBuffer app) throws IOException {
      while (!established) {
        switch (engine.getHandshakeStatus()) {
          case NEED_TASK -> {
            Runnable task;
            while ((task = engine.getDelegatedTask()) != null) {
              task.run();
            }
          }
          case NEED_WRAP -> send(channel, EMPTY);
          case NEED_UNWRAP, NEED_UNWRAP_AGAIN -> {
            if (!unwrap(app)) {
              return false;
            }
          }
          default -> established = true;
        }
      }
      return true;
    }

    /**
     * Reads what the socket has and decrypts it into {@code app}: the application bytes added, or
     * -1 at the end of the stream. Before {@link #established()}, only advances the handshake.
     */
    int read(SocketChannel channel, ByteBuffer app) throws IOException {
      int start = app.position();
      if (closed || channel.read(in) < 0) {
        return -1;
      }
      if (!established) {
        handshake(channel, app);
        return app.position() - start;
      }
      while (in.position() > 0 && unwrap(app)) {
        if (engine.getHandshakeStatus() != SSLEngineResult.HandshakeStatus.NOT_HANDSHAKING) {
          established = false; // a post-handshake message that wants an answer (key update)
          handshake(channel, app);
        }
      }
      // the broker's last frame (bye) and its close_notify often come in one read: the frame first
      return closed && app.position() == start ? -1 : app.position() - start;
    }

    /** Encrypts and writes all of {@code app}; a partial write means the broker stopped reading. */
    void send(SocketChannel channel, ByteBuffer app) throws IOException {
      do {
        out.clear();
        SSLEngineResult r = engine.wrap(app, out);
        if (r.getStatus() != SSLEngineResult.Status.OK) {
          throw new SSLException("wrap: " + r.getStatus());
        }
        out.flip();
        channel.write(out);
        if (out.hasRemaining()) {
          throw new IOException("socket buffer full");
        }
      } while (app.hasRemaining());
    }

    /** One record from {@link #in} into {@code app}; false when a whole record is not there yet. */
    private boolean unwrap(ByteBuffer app) throws SSLException {
      in.flip();
      try {
        SSLEngineResult r = engine.unwrap(in, app);
        return switch (r.getStatus()) {
          case OK -> true;
          case BUFFER_UNDERFLOW -> false;
          case BUFFER_OVERFLOW -> throw new SSLException("more than the read buffer at once");
          case CLOSED -> {
            if (!established) {
              throw new SSLException("the broker closed the TLS connection");
            }
            closed = true;
            yield false;
          }
        };
      } finally {
        in.compact();
      }
    }
  }
}
