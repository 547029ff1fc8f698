package io.sessionbroker.transports.auth;

import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.Set;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import javax.net.ssl.SSLSession;

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

  /** Device ids the connection's client certificate vouches for: no token needed for these. */
  private final Set<String> certified;

  private DeviceAuth(byte[] secret) {
    this(secret == null ? null : new SecretKeySpec(secret, ALGORITHM), Set.of());
  }

  private DeviceAuth(SecretKeySpec key, Set<String> certified) {
    this.key = key;
    this.certified = certified;
  }

  /**
   * This authentication for one connection whose TLS session is {@code session} (null for plain
   * text): a device id its client certificate names ({@link CertificateNames}) needs no token; any
   * other id still does.
   */
  public DeviceAuth forPeer(SSLSession session) {
    Set<String> names = CertificateNames.of(session);
    return names.isEmpty() ? this : new DeviceAuth(key, names);
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
   * Whether {@code token} authenticates {@code deviceId}, or the connection's client certificate
   * does ({@link #forPeer}); always true when authentication is off.
   */
  public boolean verify(String deviceId, String token) {
    if (key == null || certified.contains(deviceId)) {
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
