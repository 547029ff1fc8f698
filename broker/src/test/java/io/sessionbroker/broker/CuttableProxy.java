package io.sessionbroker.broker;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A TCP relay on loopback in front of a broker's port that a test can {@link #cut} (every
 * connection closed, new ones refused: to a client the broker has gone away) and {@link #restore}
 * on the same port, while the broker behind it keeps running and publishing.
 */
final class CuttableProxy implements AutoCloseable {

  final int port;
  private final int target;
  private final List<Socket> sockets = new CopyOnWriteArrayList<>();
  private volatile ServerSocket server;

  private CuttableProxy(int port, int target) {
    this.port = port;
    this.target = target;
  }

  static CuttableProxy start(int target) throws IOException {
    CuttableProxy proxy = new CuttableProxy(BrokerHarness.freePort(), target);
    proxy.restore();
    return proxy;
  }

  /** Closes every relayed connection and stops accepting. */
  synchronized void cut() throws IOException {
    server.close();
    for (Socket socket : sockets) {
      socket.close();
    }
    sockets.clear();
  }

  /** Accepts again, on the same port. */
  synchronized void restore() throws IOException {
    ServerSocket listening = new ServerSocket();
    listening.setReuseAddress(true);
    listening.bind(new InetSocketAddress("127.0.0.1", port));
    server = listening;
    Thread acceptor = new Thread(() -> accept(listening), "proxy-accept");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  private void accept(ServerSocket listening) {
    try {
      while (true) {
        Socket client = listening.accept();
        Socket broker = new Socket("127.0.0.1", target);
        sockets.add(client);
        sockets.add(broker);
        pipe(client, broker);
        pipe(broker, client);
      }
    } catch (IOException closed) {
      // cut
    }
  }

  private static void pipe(Socket from, Socket to) {
    Thread pump =
        new Thread(
            () -> {
              try (InputStream in = from.getInputStream();
                  OutputStream out = to.getOutputStream()) {
                in.transferTo(out);
              } catch (IOException closed) {
                // one side went
              } finally {
                try {
                  from.close();
                  to.close();
                } catch (IOException ignored) {
                  // already closed
                }
              }
            },
            "proxy-pipe");
    pump.setDaemon(true);
    pump.start();
  }

  @Override
  public void close() throws IOException {
    cut();
  }
}
