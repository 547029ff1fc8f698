package io.sessionbroker.transports.auth;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The users of {@code auth.passwordFile} as read once: one {@code user:hash} per line ({@link
 * PasswordHash}, Mosquitto 2's format), blank lines and lines starting with {@code #} ignored.
 * Immutable apart from its cache; a changed file is a new instance ({@link Passwords}).
 *
 * <p>Why a cache: a PBKDF2 check costs {@link PasswordHash#iterations} rounds (about 0.1 s at the
 * default) by design, and a fleet reconnecting after a network outage would pay it for every device
 * at once. A user's first successful check remembers an HMAC of the password under a key this
 * process draws at random and never shows, so later checks of the same password cost one HMAC; a
 * wrong password always pays the full price. The cache holds at most one entry per user of the file
 * and dies with it when the file changes.
 *
 * <p>Thread-safe: {@link #matches} runs on worker threads.
 */
public final class PasswordFile {

  private static final String CACHE_MAC = "HmacSHA256";

  private final Path file;
  private final Map<String, PasswordHash> users;
  private final SecretKeySpec cacheKey;
  private final Map<String, byte[]> verified = new ConcurrentHashMap<>();

  private PasswordFile(Path file, Map<String, PasswordHash> users) {
    this.file = file;
    this.users = Map.copyOf(users);
    byte[] key = new byte[32];
    new SecureRandom().nextBytes(key);
    this.cacheKey = new SecretKeySpec(key, CACHE_MAC);
  }

  /**
   * Reads {@code file}.
   *
   * @throws IllegalArgumentException naming the file and the line number of the first bad line
   * @throws IOException when it cannot be read
   */
  public static PasswordFile read(Path file) throws IOException {
    return parse(file, Files.readAllLines(file, StandardCharsets.UTF_8));
  }

  /** The users of {@code lines}, the content of {@code file}. */
  public static PasswordFile parse(Path file, List<String> lines) {
    Map<String, PasswordHash> users = new LinkedHashMap<>();
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      try {
        int colon = line.indexOf(':');
        if (colon <= 0) {
          throw new IllegalArgumentException("expected user:hash");
        }
        String user = line.substring(0, colon);
        if (users.put(user, PasswordHash.parse(line.substring(colon + 1))) != null) {
          throw new IllegalArgumentException("user " + user + " appears twice");
        }
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            "auth.passwordFile " + file + " line " + (i + 1) + ": " + e.getMessage(), e);
      }
    }
    return new PasswordFile(file, users);
  }

  public Path file() {
    return file;
  }

  public int size() {
    return users.size();
  }

  public boolean has(String user) {
    return users.containsKey(user);
  }

  /**
   * Whether {@code password} is {@code user}'s. A slow PBKDF2 check unless this password of this
   * user was checked before (see the class comment): call it off the event loop.
   */
  public boolean matches(String user, String password) {
    PasswordHash hash = users.get(user);
    if (hash == null || password == null) {
      return false;
    }
    byte[] mac = mac(user, password);
    byte[] known = verified.get(user);
    if (known != null && MessageDigest.isEqual(known, mac)) {
      return true;
    }
    if (!hash.matches(password)) {
      return false;
    }
    verified.put(user, mac);
    return true;
  }

  /** Whether {@link #matches} would answer without the slow check. */
  public boolean cached(String user, String password) {
    byte[] known = user == null || password == null ? null : verified.get(user);
    return known != null && MessageDigest.isEqual(known, mac(user, password));
  }

  private byte[] mac(String user, String password) {
    try {
      Mac mac = Mac.getInstance(CACHE_MAC);
      mac.init(cacheKey);
      mac.update(user.getBytes(StandardCharsets.UTF_8));
      mac.update((byte) 0);
      return mac.doFinal(password.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException | InvalidKeyException e) {
      throw new IllegalStateException(CACHE_MAC + " unavailable", e);
    }
  }
}
