package io.sessionbroker.transports.websocket;

import io.netty.handler.codec.http.QueryStringDecoder;
import io.sessionbroker.transports.codec.FrameException;
import io.sessionbroker.transports.codec.Frames;
import io.vertx.core.MultiMap;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * A {@code hello} carried by the upgrade request instead of the first frame, for clients that
 * cannot send a frame before they need to know whether they are welcome: {@code GET
 * /devices?device=sensor-42&heartbeat=30} with the token in {@code Authorization: Bearer <token>}
 * or, for browsers (which cannot set headers on a WebSocket), in the {@code token} query parameter.
 * The header wins when both are present. A user of the password file sends {@code Authorization:
 * Basic} (RFC 7617) instead. Validation is the frame's ({@link Frames#hello}).
 */
final class UpgradeHello {

  private static final String BEARER = "bearer ";
  private static final String BASIC = "basic ";

  private UpgradeHello() {}

  /** The hello of the upgrade request, or null when it carries no {@code device} parameter. */
  static Frames.Hello parse(String query, MultiMap headers) throws FrameException {
    Map<String, List<String>> params =
        new QueryStringDecoder(query == null ? "" : query, false).parameters();
    String device = first(params, "device");
    if (device == null) {
      return null;
    }
    JsonObject hello = new JsonObject().put("type", Frames.HELLO).put("device", device);
    String heartbeat = first(params, "heartbeat");
    if (heartbeat != null) {
      hello.put("heartbeat", seconds(heartbeat));
    }
    String authorization = headers.get("Authorization");
    String token = bearer(authorization);
    hello.put("token", token != null ? token : first(params, "token"));
    String[] basic = basic(authorization);
    if (basic != null) {
      hello.put("user", basic[0]).put("password", basic[1]);
    }
    return Frames.hello(hello);
  }

  /**
   * The {@code device} parameter of an upgrade that is refused before it is read as a hello, for
   * the rejection event; null when absent or not 1–128 characters.
   */
  static String claimedDevice(String query) {
    String device =
        first(new QueryStringDecoder(query == null ? "" : query, false).parameters(), "device");
    return device == null || device.isEmpty() || device.length() > 128 ? null : device;
  }

  private static Object seconds(String heartbeat) {
    try {
      return Double.parseDouble(heartbeat);
    } catch (NumberFormatException e) {
      return heartbeat; // Frames.hello rejects a non-number with bad_hello
    }
  }

  private static String bearer(String authorization) {
    if (authorization == null
        || authorization.length() <= BEARER.length()
        || !authorization.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
      return null;
    }
    return authorization.substring(BEARER.length()).trim();
  }

  /**
   * {@code Authorization: Basic base64(user:password)} (RFC 7617) as {user, password}; null when
   * the header is not that.
   */
  private static String[] basic(String authorization) {
    if (authorization == null || !authorization.regionMatches(true, 0, BASIC, 0, BASIC.length())) {
      return null;
    }
    try {
      String pair =
          new String(
              Base64.getDecoder().decode(authorization.substring(BASIC.length()).trim()),
              StandardCharsets.UTF_8);
      int colon = pair.indexOf(':');
      return colon < 0 ? null : new String[] {pair.substring(0, colon), pair.substring(colon + 1)};
    } catch (IllegalArgumentException e) {
      return null; // not base64: no credentials, so the check fails as without them
    }
  }

  private static String first(Map<String, List<String>> params, String name) {
    List<String> values = params.get(name);
    return values == null || values.isEmpty() ? null : values.get(0);
  }
}
