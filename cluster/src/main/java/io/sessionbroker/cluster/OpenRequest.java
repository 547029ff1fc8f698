package io.sessionbroker.cluster;

import io.vertx.core.json.JsonObject;
import java.util.Objects;

/**
 * What a transport knows when a device has said hello.
 *
 * @param deviceId the device's id, unique in the fleet
 * @param transport the transport name: {@code tcp}, {@code udp}, {@code mqtt}, {@code websocket}
 * @param remote the device's address as {@code host:port}
 * @param heartbeatMs the heartbeat interval the device asked for; 0 = none (rely on the transport),
 *     -1 = the configured default
 * @param will a message to publish if the session ends uncleanly, or null
 * @param connection how the table tells the transport that the session ended
 */
public record OpenRequest(
    String deviceId,
    String transport,
    String remote,
    long heartbeatMs,
    JsonObject will,
    Connection connection) {

  public OpenRequest {
    Objects.requireNonNull(deviceId, "deviceId");
    Objects.requireNonNull(transport, "transport");
    Objects.requireNonNull(connection, "connection");
    if (deviceId.isEmpty()) {
      throw new IllegalArgumentException("deviceId must not be empty");
    }
  }
}
