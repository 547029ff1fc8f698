package io.sessionbroker.transports.auth;

import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;

/**
 * One password's hash in Mosquitto 2's {@code $7$} format, so that a file written by {@code
 * mosquitto_passwd} works here and one written by {@code bin/broker passwd} works in Mosquitto:
 * {@code $7$<iterations>$<base64 salt>$<base64 hash>}, the hash being PBKDF2-HMAC-SHA512 of the
 * password's UTF-8 bytes over the raw salt bytes, 64 bytes long (Mosquitto's {@code
 * src/password_mosq.c}; checked against the real tools by {@code PasswordFileTest} and {@code
 * PasswdCommandIT}). The JDK's {@code PBKDF2WithHmacSHA512} computes it: no library needed.
 *
 * @param iterations PBKDF2 rounds: the cost of one check (about 1 µs each, measured on the test
 *     machine)
 * @param salt random per password (12 bytes when written here, as Mosquitto does)
 * @param hash the derived key, 64 bytes
 */
public record PasswordHash(int iterations, byte[] salt, byte[] hash) {

  /** What {@code bin/broker passwd} writes unless told otherwise; see docs/security.md. */
  public static final int DEFAULT_ITERATIONS = 100_000;

  static final String PREFIX = "$7$";
  private static final int SALT_BYTES = 12;
  private static final int HASH_BYTES = 64;
  private static final int MAX_ITERATIONS = 10_000_000;

  public PasswordHash {
    if (iterations < 1 || iterations > MAX_ITERATIONS) {
      throw new IllegalArgumentException(
          "iterations must be 1.." + MAX_ITERATIONS + ", was " + iterations);
    }
    if (salt.length == 0) {
      throw new IllegalArgumentException("empty salt");
    }
    if (hash.length != HASH_BYTES) {
      throw new IllegalArgumentException(
          "the hash must be " + HASH_BYTES + " bytes, was " + hash.length);
    }
  }

  /** Hashes {@code password} with a fresh random salt. */
  public static PasswordHash create(String password, int iterations, SecureRandom random) {
    byte[] salt = new byte[SALT_BYTES];
    random.nextBytes(salt);
    return new PasswordHash(iterations, salt, derive(password, salt, iterations));
  }

  /**
   * Reads {@code $7$iterations$salt$hash}.
   *
   * @throws IllegalArgumentException saying what is wrong with it (never echoing the hash)
   */
  public static PasswordHash parse(String encoded) {
    if (!encoded.startsWith(PREFIX)) {
      throw new IllegalArgumentException(
          encoded.startsWith("$6$")
              ? "a $6$ (salted SHA-512, Mosquitto 1.6) hash: too fast to guard a password, hash it"
                  + " again with bin/broker passwd or mosquitto_passwd 2"
              : "not a $7$ (PBKDF2-SHA512) hash");
    }
    String[] parts = encoded.substring(PREFIX.length()).split("\\$", -1);
    if (parts.length != 3) {
      throw new IllegalArgumentException("expected $7$iterations$salt$hash");
    }
    int iterations;
    try {
      iterations = Integer.parseInt(parts[0]);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("iterations is not a number");
    }
    try {
      return new PasswordHash(
          iterations, Base64.getDecoder().decode(parts[1]), Base64.getDecoder().decode(parts[2]));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("bad salt or hash: " + e.getMessage());
    }
  }

  /** The {@code $7$} form, as a password file holds it. */
  public String encode() {
    Base64.Encoder base64 = Base64.getEncoder();
    return PREFIX
        + iterations
        + "$"
        + base64.encodeToString(salt)
        + "$"
        + base64.encodeToString(hash);
  }

  /** Whether {@code password} has this hash; costs {@link #iterations} rounds, constant time. */
  public boolean matches(String password) {
    if (password.isEmpty()) {
      return false; // the JDK's PBKDF2 refuses an empty key; no entry has an empty password
    }
    return MessageDigest.isEqual(hash, derive(password, salt, iterations));
  }

  private static byte[] derive(String password, byte[] salt, int iterations) {
    // PBEKeySpec hands the JDK's PBKDF2 the password's chars, which it encodes as UTF-8: the bytes
    // Mosquitto hashes.
    PBEKeySpec spec = new PBEKeySpec(password.toCharArray(), salt, iterations, HASH_BYTES * 8);
    try {
      return SecretKeyFactory.getInstance("PBKDF2WithHmacSHA512").generateSecret(spec).getEncoded();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("PBKDF2WithHmacSHA512 unavailable", e);
    } finally {
      spec.clearPassword();
    }
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof PasswordHash that
        && iterations == that.iterations
        && Arrays.equals(salt, that.salt)
        && Arrays.equals(hash, that.hash);
  }

  @Override
  public int hashCode() {
    return 31 * iterations + Arrays.hashCode(hash);
  }

  @Override
  public String toString() {
    return "PasswordHash[$7$" + iterations + "$…]";
  }
}
