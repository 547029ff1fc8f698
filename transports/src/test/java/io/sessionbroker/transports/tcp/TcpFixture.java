package io.sessionbroker.transports.tcp;

import io.sessionbroker.cluster.Addresses;
import io.sessionbroker.testkit.TcpDevice;
import io.sessionbroker.transports.TableFixture;
import io.sessionbroker.transports.auth.DeviceAuth;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * A session table ({@link TableFixture}) with a raw TCP transport on a free port, and its devices:
 * plain JDK sockets ({@link TcpDevice}). Events are recorded from the table's event bus, in
 * publication order.
 */
final class TcpFixture implements AutoCloseable {

  static final Duration WAIT = Duration.ofSeconds(10);

  final TableFixture tables;
  final TcpTransport tcp;
  final TcpOptions options;
  final DeviceAuth auth;

  /**
   * The shipped TCP settings on a free loopback port, changed by {@code tweak}; no device
   * authentication.
   */
  TcpFixture(JsonObject tweak) throws Exception {
    this(tweak, DeviceAuth.NONE);
  }

  TcpFixture(JsonObject tweak, DeviceAuth auth) throws Exception {
    this.options = TcpOptions.fromJson(new JsonObject().put("port", 0).mergeIn(tweak));
    this.auth = auth;
    // The native transport, as the broker runs it: kernel TCP keepalive is applied through it.
    tables = new TableFixture(TableFixture.FAST, new VertxOptions().setPreferNativeTransport(true));
    tcp = new TcpTransport(tables.table, options, auth);
    tables.vertx.deployVerticle(tcp).await(10, TimeUnit.SECONDS);
  }

  /** A device connected to the transport; the test closes it. */
  TcpDevice device() throws Exception {
    return new TcpDevice(options.host(), tcp.port());
  }

  /** The next event on {@code address} for {@code deviceId}. */
  JsonObject await(String address, String deviceId) throws InterruptedException {
    return tables.await(address, deviceId);
  }

  /** The {@code sessions.rejected} event of this device's connection, known by its address. */
  JsonObject awaitRejection(TcpDevice device) throws InterruptedException {
    String remote = device.localAddress();
    return tables.await(Addresses.REJECTED, e -> remote.equals(e.getString("remote")));
  }

  /** The session as {@code sessions.admin.get} shows it, or null when there is none. */
  JsonObject session(String sessionOrDeviceId) throws Exception {
    return tables.table.admin().get(sessionOrDeviceId).await(5, TimeUnit.SECONDS);
  }

  @Override
  public void close() throws Exception {
    tables.close();
  }
}
