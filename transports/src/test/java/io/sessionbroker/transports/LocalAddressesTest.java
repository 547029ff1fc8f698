package io.sessionbroker.transports;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.netty.channel.Channel;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.internal.net.NetSocketInternal;
import io.vertx.core.net.NetServer;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Guards {@link LocalAddresses}, which reaches into Netty's native channels: connections accepted
 * on one address share one object for it and still answer it, over real sockets.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LocalAddressesTest {

  private Vertx vertx;

  @BeforeEach
  void start() {
    vertx = Vertx.vertx(new VertxOptions().setPreferNativeTransport(true));
    assumeTrue(vertx.isNativeTransportEnabled(), "no native transport on this machine: NIO");
  }

  @AfterEach
  void stop() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  /**
   * Verifies that two connections accepted by a listener, as the transports take them ({@link
   * OutboundQueues#slim}), answer the same local-address object, equal to the listener's address,
   * and still carry data both ways.
   */
  @Test
  void connectionsOnOneListenerShareTheirLocalAddressAndStillWork() throws Exception {
    // given a line-echoing listener that takes each connection as the transports do
    List<Channel> channels = new CopyOnWriteArrayList<>();
    NetServer server =
        vertx
            .createNetServer()
            .connectHandler(
                socket -> {
                  NetSocketInternal internal = (NetSocketInternal) socket;
                  OutboundQueues.slim(internal.channelHandlerContext());
                  channels.add(internal.channelHandlerContext().channel());
                  socket.handler(socket::write);
                });
    int port = server.listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS).actualPort();

    // when two devices connect and each sends a line
    try (Socket first = new Socket("127.0.0.1", port);
        Socket second = new Socket("127.0.0.1", port)) {
      for (Socket device : List.of(first, second)) {
        device.getOutputStream().write("ping\n".getBytes(StandardCharsets.US_ASCII));
        String echoed =
            new BufferedReader(
                    new InputStreamReader(device.getInputStream(), StandardCharsets.US_ASCII))
                .readLine();
        assertThat(echoed).isEqualTo("ping");
      }

      // then both channels answer one and the same object, equal to the listener's address
      assertThat(channels).hasSize(2);
      SocketAddress one = channels.get(0).localAddress();
      assertThat(one).isEqualTo(new InetSocketAddress("127.0.0.1", port));
      assertThat(channels.get(1).localAddress()).isSameAs(one);
      assertThat(channels.get(0).remoteAddress()).isNotEqualTo(channels.get(1).remoteAddress());
    }
  }
}
