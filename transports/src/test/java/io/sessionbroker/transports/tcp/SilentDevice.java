package io.sessionbroker.transports.tcp;

import io.sessionbroker.testkit.TcpDevice;
import io.vertx.core.json.JsonObject;

/**
 * A device process for {@link TcpKeepAliveIT}: runs inside a network namespace, says hello with
 * heartbeat 0 (rely on TCP keepalive alone), prints the welcome, then stays silent until it is
 * killed.
 *
 * <p>Usage: {@code SilentDevice HOST PORT DEVICE TOKEN}
 */
public final class SilentDevice {

  private SilentDevice() {}

  public static void main(String[] args) throws Exception {
    try (TcpDevice device = new TcpDevice(args[0], Integer.parseInt(args[1]))) {
      device.send(
          new JsonObject()
              .put("type", "hello")
              .put("device", args[2])
              .put("token", args[3])
              .put("heartbeat", 0));
      System.out.println(device.read(java.time.Duration.ofSeconds(10)).encode());
      System.out.flush();
      new java.util.concurrent.CountDownLatch(1)
          .await(); // silent until the test kills this process
    }
  }
}
