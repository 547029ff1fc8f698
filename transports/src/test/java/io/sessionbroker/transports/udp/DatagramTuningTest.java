package io.sessionbroker.transports.udp;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.MaxMessagesRecvByteBufAllocator;
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

  @Test
  void setsTheReceiveBufferAndDatagramsPerReadButNotTheReadBufferSize() throws Exception {
    DatagramSocket socket = vertx.createDatagramSocket(new DatagramSocketOptions());
    DatagramChannel channel = DatagramTuning.channel(socket);
    Object readBuffers = channel.config().getRecvByteBufAllocator();

    int granted = DatagramTuning.apply(socket, 1 << 20);

    // Linux grants min(asked, rmem_max) and reports twice that (its bookkeeping overhead included).
    long rmemMax =
        Long.parseLong(Files.readAllLines(Path.of("/proc/sys/net/core/rmem_max")).get(0).trim());
    assertThat(granted).isEqualTo((int) Math.min(1 << 20, rmemMax) * 2);
    assertThat((Object) channel.config().getRecvByteBufAllocator()).isSameAs(readBuffers);
    assertThat(((MaxMessagesRecvByteBufAllocator) readBuffers).maxMessagesPerRead())
        .isEqualTo(DatagramTuning.MESSAGES_PER_READ);

    CompletableFuture<String> received = new CompletableFuture<>();
    socket.handler(packet -> received.complete(packet.data().toString()));
    int port = socket.listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS).localAddress().port();
    DatagramSocket sender = vertx.createDatagramSocket(new DatagramSocketOptions());
    sender.send(Buffer.buffer("ping"), port, "127.0.0.1").await(10, TimeUnit.SECONDS);
    assertThat(received.get(10, TimeUnit.SECONDS)).isEqualTo("ping");
  }
}
