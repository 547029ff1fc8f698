package io.sessionbroker.broker.http;

import io.vertx.core.json.JsonObject;

/**
 * The operator's HTTP listener ({@code http} section).
 *
 * @param enabled whether to listen at all
 * @param host its address; loopback by default, anything else needs {@code adminToken}
 * @param port its port (7070)
 * @param adminToken required as {@code Authorization: Bearer <token>} on every {@code /api} call
 *     when not empty
 */
public record HttpOptions(boolean enabled, String host, int port, String adminToken) {

  public static HttpOptions fromJson(JsonObject json) {
    return new HttpOptions(
        json.getBoolean("enabled", true),
        json.getString("host", "127.0.0.1"),
        json.getInteger("port", 7070),
        json.getString("adminToken", ""));
  }
}
