package io.sessionbroker.transports.udp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.netty.channel.MaxMessagesRecvByteBufAllocator;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.epoll.EpollDatagramChannelConfig;
import io.netty.channel.socket.DatagramChannel;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.datagram.DatagramSocket;
import io.vertx.core.datagram.DatagramSocketOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link DatagramTuning} reaches Vert.x's channel, sets only what it should, and datagrams still
 * flow.
 */
class DatagramTuningTest {

  private final Vertx vertx = Vertx.vertx(new VertxOptions().setPreferNativeTransport(true));

  @AfterEach
  void close() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  /**
   * Verifies that the socket gets the receive buffer asked for, several datagrams per read and, on
   * epoll, several per {@code recvmmsg} in a read buffer sized for them, not for the receive
   * buffer.
   */
  @Test
  void setsTheReceiveBufferAndDatagramsPerReadButNotTheReadBufferSize() throws Exception {
    assumeTrue(vertx.isNativeTransportEnabled(), "native transport unavailable here");
    DatagramSocket socket = vertx.createDatagramSocket(new DatagramSocketOptions());
    DatagramChannel channel = DatagramTuning.channel(socket);

    int granted = DatagramTuning.apply(socket, 1 << 20, 1024);

    // Linux grants min(asked, rmem_max) and reports twice that (its bookkeeping overhead included).
    long rmemMax =
        Long.parseLong(Files.readAllLines(Path.of("/proc/sys/net/core/rmem_max")).get(0).trim());
    assertThat(granted).isEqualTo((int) Math.min(1 << 20, rmemMax) * 2);
    RecvByteBufAllocator readBuffers = channel.config().getRecvByteBufAllocator();
    assertThat(((MaxMessagesRecvByteBufAllocator) readBuffers).maxMessagesPerRead())
        .isEqualTo(DatagramTuning.MESSAGES_PER_READ);
    // 31 slots of 1,025 bytes: a datagram of 1,025 bytes is known to be over the 1,024 allowed
    assertThat(((EpollDatagramChannelConfig) channel.config()).getMaxDatagramPayloadSize())
        .isEqualTo(1025);
    assertThat(DatagramTuning.datagramsPerCall(1024)).isEqualTo(31);
    assertThat(readBuffers.newHandle().guess()).isEqualTo(31 * 1025);

    CompletableFuture<String> received = new CompletableFuture<>();
    socket.handler(packet -> received.complete(packet.data().toString()));
    int port = socket.listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS).localAddress().port();
    DatagramSocket sender = vertx.createDatagramSocket(new DatagramSocketOptions());
    sender.send(Buffer.buffer("ping"), port, "127.0.0.1").await(10, TimeUnit.SECONDS);
    assertThat(received.get(10, TimeUnit.SECONDS)).isEqualTo("ping");
  }
}
