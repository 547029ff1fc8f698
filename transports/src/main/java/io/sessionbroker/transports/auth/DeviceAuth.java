package io.sessionbroker.transports.auth;

import io.vertx.core.AsyncResult;
import io.vertx.core.Context;
import io.vertx.core.Future;
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
 * How devices prove who they are: per-device tokens, a password file, client certificates.
 *
 * <p>Tokens: a device's token is {@code base64url(HMAC-SHA256(secret, deviceId))} without padding,
 * so the broker stores no per-device secret and an operator mints a token with one command ({@code
 * bin/broker token DEVICE}). MQTT devices send the token as their password.
 *
 * <p>Password file ({@code auth.passwordFile}, {@link Passwords}): a user name and a password (MQTT
 * User Name and Password; the {@code user} and {@code password} of a hello) authenticate the
 * connection for whatever device id it names; the user name is what ACLs match ({@code %u}).
 *
 * <p>Client certificates ({@link #forPeer}): a device id the connection's certificate names needs
 * nothing more.
 *
 * <p>{@link #check} tries them cheapest first: certificate, token, then the password file, whose
 * PBKDF2 check runs on a worker thread (never on the event loop). A failure comes with the delay to
 * wait before answering ({@code auth.failureDelayMs}, counted from the check's start, so the answer
 * takes as long whether the user exists or not) and whether its {@code sessions.rejected} event is
 * within {@code auth.failureEventsPerSecond}.
 *
 * <p>Authentication is off ({@link #NONE}) only while every listener is on loopback; the broker
 * refuses to bind beyond loopback without a credential check (DESIGN §8). Immutable; thread-safe.
 */
public final class DeviceAuth {

  /** Accepts every device: loopback-only deployments and tests. */
  public static final DeviceAuth NONE = new DeviceAuth(null, Set.of(), null, 0, new EventQuota(10));

  private static final String ALGORITHM = "HmacSHA256";

  private final SecretKeySpec key;

  /** Device ids the connection's client certificate vouches for: no token needed for these. */
  private final Set<String> certified;

  private final Passwords passwords;
  private final long failureDelayMs;
  private final EventQuota failureEvents;

  private DeviceAuth(
      SecretKeySpec key,
      Set<String> certified,
      Passwords passwords,
      long failureDelayMs,
      EventQuota failureEvents) {
    this.key = key;
    this.certified = certified;
    this.passwords = passwords;
    this.failureDelayMs = failureDelayMs;
    this.failureEvents = failureEvents;
  }

  /**
   * What {@link #check} decided.
   *
   * @param accepted whether the connection may open a session
   * @param user the user the password file authenticated, or null (token, certificate, auth off)
   * @param message why not (for the {@code sessions.rejected} event); null when accepted
   * @param delayMs how long to wait before answering a failure
   * @param report whether to publish the failure's {@code sessions.rejected} event (the rate limit)
   */
  public record Verdict(
      boolean accepted, String user, String message, long delayMs, boolean report) {

    static Verdict accept(String user) {
      return new Verdict(true, user, null, 0, false);
    }

    /** The verdict of a finished {@link #check}: a check that failed outright refuses at once. */
    public static Verdict of(AsyncResult<Verdict> checked) {
      return checked.succeeded()
          ? checked.result()
          : new Verdict(false, null, checked.cause().toString(), 0, true);
    }
  }

  /**
   * This authentication for one connection whose TLS session is {@code session} (null for plain
   * text): a device id its client certificate names ({@link CertificateNames}) needs no token; any
   * other id still does.
   */
  public DeviceAuth forPeer(SSLSession session) {
    Set<String> names = CertificateNames.of(session);
    return names.isEmpty()
        ? this
        : new DeviceAuth(key, names, passwords, failureDelayMs, failureEvents);
  }

  /**
   * Tokens keyed with {@code secret} (at least 16 characters), failures answered at once, their
   * events limited to 10 a second (a limit of its own, not shared with other instances).
   */
  public static DeviceAuth withSecret(String secret) {
    return NONE.failures(0, 10).secret(secret);
  }

  /** This with tokens keyed with {@code secret} (at least 16 characters). */
  public DeviceAuth secret(String secret) {
    if (secret == null || secret.length() < 16) {
      throw new IllegalArgumentException(
          "the device token secret must have at least 16 characters");
    }
    SecretKeySpec spec = new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), ALGORITHM);
    return new DeviceAuth(spec, certified, passwords, failureDelayMs, failureEvents);
  }

  /** This with the users of a password file too. */
  public DeviceAuth passwords(Passwords passwords) {
    return new DeviceAuth(key, certified, passwords, failureDelayMs, failureEvents);
  }

  /**
   * This with failed checks answered {@code delayMs} after they started, and at most {@code
   * eventsPerSecond} of their {@code sessions.rejected} events per second (per node).
   */
  public DeviceAuth failures(long delayMs, int eventsPerSecond) {
    if (delayMs < 0) {
      throw new IllegalArgumentException("auth.failureDelayMs must be >= 0, was " + delayMs);
    }
    return new DeviceAuth(key, certified, passwords, delayMs, new EventQuota(eventsPerSecond));
  }

  /** Whether devices must authenticate: a secret or a password file is configured. */
  public boolean required() {
    return key != null || passwords != null;
  }

  /** Whether device tokens are in use ({@code auth.secret} is set). */
  public boolean tokens() {
    return key != null;
  }

  /** The password file, or null. */
  public Passwords passwords() {
    return passwords;
  }

  public long failureDelayMs() {
    return failureDelayMs;
  }

  /** {@code sessions.rejected} events of failed checks held back by the rate limit so far. */
  public long failureEventsSuppressed() {
    return failureEvents.suppressed();
  }

  /**
   * The device id of a connection that names none, from its client certificate: its first name (the
   * subject CN if it has one, else its first alternative name); null without a certificate.
   */
  public String certifiedDeviceId() {
    return certified.isEmpty() ? null : certified.iterator().next();
  }

  /**
   * Whether {@code token} authenticates {@code deviceId}, or the connection's client certificate
   * does ({@link #forPeer}); always true when authentication is off. Tokens and certificates only:
   * see {@link #check} for the password file.
   */
  public boolean verify(String deviceId, String token) {
    if (!required() || certified.contains(deviceId)) {
      return true;
    }
    if (token == null || key == null) {
      return false;
    }
    byte[] expected = tokenFor(deviceId).getBytes(StandardCharsets.US_ASCII);
    return MessageDigest.isEqual(expected, token.getBytes(StandardCharsets.US_ASCII));
  }

  /**
   * Authenticates a device that says it is {@code deviceId} and presents {@code user} (may be null)
   * and {@code password} (a token or a password; may be null). Completes on {@code context}: at
   * once unless the password file's slow check is needed.
   */
  public Future<Verdict> check(Context context, String deviceId, String user, String password) {
    long startedNs = System.nanoTime();
    if (verify(deviceId, password)) {
      return Future.succeededFuture(Verdict.accept(null));
    }
    PasswordFile file = passwords == null || user == null ? null : passwords.current();
    if (file == null || !file.has(user)) {
      String notToken = key == null ? "" : ", and the password is not the device token";
      String why =
          user == null || passwords == null
              ? (key == null ? "no user name" : "the password is not the device token")
              : "unknown user " + user + notToken;
      return Future.succeededFuture(refuse(why, startedNs));
    }
    if (file.cached(user, password)) {
      return Future.succeededFuture(Verdict.accept(user));
    }
    return context
        .executeBlocking(() -> file.matches(user, password), false)
        .map(
            ok -> ok ? Verdict.accept(user) : refuse("wrong password for user " + user, startedNs));
  }

  private Verdict refuse(String why, long startedNs) {
    long elapsedMs = (System.nanoTime() - startedNs) / 1_000_000;
    long held = failureEvents.admit(System.currentTimeMillis());
    String message = held > 0 ? why + " (" + held + " earlier failures not reported)" : why;
    return new Verdict(false, null, message, Math.max(0, failureDelayMs - elapsedMs), held >= 0);
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
