package io.sessionbroker.broker;

import io.sessionbroker.cluster.SessionTable;
import io.sessionbroker.transports.TransportName;
import io.sessionbroker.transports.auth.DeviceAuth;
import io.sessionbroker.transports.mqtt.MqttOptions;
import io.sessionbroker.transports.mqtt.MqttTransport;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetSocket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;

/**
 * The MQTT transport in the start-up rehearsal ({@link WarmupDevices}): MQTT 3.1.1 devices on plain
 * sockets, as the load generator's — CONNECT with a keep-alive of 1 s, CONNACK, PINGREQ, PINGRESP,
 * then silence until the broker closes the connection ({@code MqttEndpointImpl.close}; a 3.1.1
 * client gets no packet before it, §3.1.2.10).
 */
final class WarmupMqtt implements WarmupDevices {

  private static final byte CONNACK = 0x20;
  private static final byte PINGRESP = (byte) 0xD0;
  private static final Buffer PINGREQ = Buffer.buffer(new byte[] {(byte) 0xC0, 0x00});

  private NetClient client;
  private int port;

  @Override
  public TransportName transport() {
    return TransportName.MQTT;
  }

  @Override
  public Future<?> listen(Vertx vertx, SessionTable table) {
    MqttTransport mqtt =
        new MqttTransport(table, MqttOptions.fromJson(Warmup.loopback()), DeviceAuth.NONE);
    client = vertx.createNetClient(new NetClientOptions().setTcpNoDelay(true));
    return vertx.deployVerticle(mqtt).onSuccess(id -> port = mqtt.port());
  }

  @Override
  public Future<?> open(int devices, String prefix, CountDownLatch alive, CountDownLatch ended) {
    return WarmupDevices.connectEach(
        client, port, devices, (socket, i) -> speak(socket, connect(prefix + i), alive, ended));
  }

  private static void speak(
      NetSocket socket, Buffer connect, CountDownLatch alive, CountDownLatch ended) {
    // CONNACK and PINGRESP are two bytes each and each answers a packet sent only after the one
    // before was answered, so a read never holds a part of one.
    socket.handler(
        read -> {
          for (int at = 0; at + 1 < read.length(); at += 2 + read.getUnsignedByte(at + 1)) {
            byte type = read.getByte(at);
            if (type == CONNACK && at + 3 < read.length() && read.getByte(at + 3) == 0) {
              socket.write(PINGREQ);
            } else if (type == PINGRESP) {
              alive.countDown();
            }
          }
        });
    socket.closeHandler(v -> ended.countDown());
    socket.write(connect);
  }

  /** CONNECT (MQTT 3.1.1 §3.1): clean session, keep-alive 1 s, the client id. */
  private static Buffer connect(String clientId) {
    byte[] id = clientId.getBytes(StandardCharsets.UTF_8);
    Buffer body =
        Buffer.buffer()
            .appendBytes(new byte[] {0, 4, 'M', 'Q', 'T', 'T', 4, 0x02})
            .appendUnsignedShort(1) // keep-alive, s
            .appendUnsignedShort(id.length)
            .appendBytes(id);
    Buffer packet = Buffer.buffer().appendByte((byte) 0x10);
    int remaining = body.length();
    do { // remaining length, §2.2.3
      int digit = remaining % 128;
      remaining /= 128;
      packet.appendByte((byte) (remaining > 0 ? digit | 0x80 : digit));
    } while (remaining > 0);
    return packet.appendBuffer(body);
  }
}
