package io.sessionbroker.transports.auth;

import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Per-device tokens: a device's token is {@code base64url(HMAC-SHA256(secret, deviceId))} without
 * padding, so the broker stores no per-device secret and an operator mints a token with one command
 * ({@code bin/broker token DEVICE}). MQTT devices send the token as their password.
 *
 * <p>Authentication is off ({@link #NONE}) only while every listener is on loopback; the broker
 * refuses to bind beyond loopback without a secret (DESIGN §8).
 */
public final class DeviceAuth {

  /** Accepts every device: loopback-only deployments and tests. */
  public static final DeviceAuth NONE = new DeviceAuth(null);

  private static final String ALGORITHM = "HmacSHA256";

  private final SecretKeySpec key;

  private DeviceAuth(byte[] secret) {
    this.key = secret == null ? null : new SecretKeySpec(secret, ALGORITHM);
  }

  /** Tokens keyed with {@code secret} (at least 16 characters). */
  public static DeviceAuth withSecret(String secret) {
    if (secret == null || secret.length() < 16) {
      throw new IllegalArgumentException(
          "the device token secret must have at least 16 characters");
    }
    return new DeviceAuth(secret.getBytes(StandardCharsets.UTF_8));
  }

  public boolean required() {
    return key != null;
  }

  /**
   * Whether {@code token} authenticates {@code deviceId}; always true when authentication is off.
   */
  public boolean verify(String deviceId, String token) {
    if (key == null) {
      return true;
    }
    if (token == null) {
      return false;
    }
    byte[] expected = tokenFor(deviceId).getBytes(StandardCharsets.US_ASCII);
    return MessageDigest.isEqual(expected, token.getBytes(StandardCharsets.US_ASCII));
  }

  /** The token of {@code deviceId}. */
  public String tokenFor(String deviceId) {
    if (key == null) {
      throw new IllegalStateException("authentication is off: no secret configured");
    }
    try {
      Mac mac = Mac.getInstance(ALGORITHM);
      mac.init(key);
      byte[] digest = mac.doFinal(deviceId.getBytes(StandardCharsets.UTF_8));
      return Base64.getUrlEncoder().withoutPadding().encodeToString(digest);
    } catch (NoSuchAlgorithmException | InvalidKeyException e) {
      throw new IllegalStateException(ALGORITHM + " unavailable", e);
    }
  }
}
