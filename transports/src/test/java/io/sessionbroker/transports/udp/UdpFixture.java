package io.sessionbroker.transports.udp;

import io.sessionbroker.cluster.SessionTable;
import io.sessionbroker.transports.TableFixture;
import io.sessionbroker.transports.auth.DeviceAuth;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.transport.Transport;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;

/**
 * A session table ({@link TableFixture}) with a UDP transport on a free loopback port, and its
 * devices.
 */
final class UdpFixture implements AutoCloseable {

  final TableFixture tables;
  final SessionTable table;
  final UdpTransport udp;
  final int port;
  private final List<UdpDevice> devices = new ArrayList<>();

  UdpFixture() throws Exception {
    this(UdpOptions.defaults().withPort(0), DeviceAuth.NONE);
  }

  UdpFixture(UdpOptions options, DeviceAuth auth) throws Exception {
    this(options, auth, new VertxOptions());
  }

  /**
   * With Vert.x made from {@code vertxOptions}, e.g. on the native transport as the broker runs.
   */
  UdpFixture(UdpOptions options, DeviceAuth auth, VertxOptions vertxOptions) throws Exception {
    this(options, auth, new TableFixture(TableFixture.FAST, vertxOptions));
  }

  /** On Vert.x with this I/O transport, as the broker's {@code node.ioTransport} picks it. */
  UdpFixture(UdpOptions options, DeviceAuth auth, Transport transport) throws Exception {
    this(options, auth, new TableFixture(TableFixture.FAST, new VertxOptions(), transport));
  }

  private UdpFixture(UdpOptions options, DeviceAuth auth, TableFixture tables) throws Exception {
    this.tables = tables;
    table = tables.table;
    udp = new UdpTransport(table, options, auth);
    port = udp.start(tables.vertx).await(10, TimeUnit.SECONDS);
  }

  /** A device on a socket of its own, closed with the fixture. */
  UdpDevice device(String deviceId) throws Exception {
    UdpDevice device = new UdpDevice(deviceId, port);
    devices.add(device);
    return device;
  }

  /** The same device and session on another socket, i.e. from a new source address. */
  UdpDevice moved(UdpDevice device) throws Exception {
    UdpDevice moved = device.as(device);
    devices.add(moved);
    return moved;
  }

  /** The session as {@code sessions.admin.get} shows it, or null. */
  JsonObject session(String sessionOrDeviceId) throws Exception {
    return table.admin().get(sessionOrDeviceId).await(5, TimeUnit.SECONDS);
  }

  /**
   * The table's clock, once it reads later than {@code instant} (polled a millisecond at a time). A
   * datagram sent after this returns is seen by the table no earlier than the time returned, so a
   * session it touches shows a {@code lastSeenAt} of at least that, later than {@code instant}.
   */
  long clockPast(long instant) {
    Awaitility.await()
        .pollDelay(Duration.ZERO)
        .pollInterval(Duration.ofMillis(1))
        .atMost(Duration.ofSeconds(5))
        .until(() -> table.clock().millis() > instant);
    return table.clock().millis();
  }

  @Override
  public void close() throws Exception {
    devices.forEach(UdpDevice::close);
    udp.stop().await(10, TimeUnit.SECONDS);
    tables.close();
  }
}
