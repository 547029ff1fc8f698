package io.sessionbroker.transports.auth;

import io.sessionbroker.transports.tls.CertificateWatch;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code auth.passwordFile} as it is now: read at start (a bad line stops the start), then re-read
 * when it changes, the way certificates are ({@link CertificateWatch}: a change is applied once it
 * has held still for one check). A file that no longer parses keeps the previous users and logs
 * {@code password_file_reload_failed} with the line; connections already open are not affected
 * either way (a removed user's devices stay connected until they reconnect).
 */
public final class Passwords {

  private static final Logger log = LoggerFactory.getLogger(Passwords.class);

  private final Path file;
  private final long checkMs;
  private volatile PasswordFile current;
  private long timer = -1;

  private Passwords(Path file, long checkMs, PasswordFile current) {
    this.file = file;
    this.checkMs = checkMs;
    this.current = current;
  }

  /**
   * Reads {@code file} now.
   *
   * @param checkMs how often {@link #watch} looks for a change ({@code auth.reloadCheckMs}; 0:
   *     never)
   * @throws IllegalArgumentException naming the file, and the line when one is bad
   */
  public static Passwords load(Path file, long checkMs) {
    try {
      return new Passwords(file, checkMs, PasswordFile.read(file));
    } catch (IOException e) {
      throw new IllegalArgumentException(
          "auth.passwordFile=" + file + " cannot be read: " + e.getMessage(), e);
    }
  }

  /** The users of the file as last read successfully. */
  public PasswordFile current() {
    return current;
  }

  public Path file() {
    return file;
  }

  /** Checks the file every {@code checkMs} (0: never) and re-reads it once a change settles. */
  public synchronized void watch(Vertx vertx) {
    if (checkMs > 0 && timer < 0) {
      CertificateWatch watch = new CertificateWatch(stamp());
      timer = vertx.setPeriodic(checkMs, id -> check(watch));
    }
  }

  private void check(CertificateWatch watch) {
    if (!watch.check(stamp())) {
      return;
    }
    // A few hundred lines at most: read on the timer's event loop, like the certificates' stamps.
    try {
      PasswordFile read = PasswordFile.read(file);
      current = read;
      log.info("password_file_reloaded file={} users={}", file, read.size());
    } catch (IOException | UncheckedIOException | IllegalArgumentException e) {
      log.warn(
          "password_file_reload_failed file={} keeping the previous users: {}",
          file,
          e.getMessage());
    }
  }

  /** Size, modification time and inode; "missing" when the file is gone. */
  private Object stamp() {
    try {
      BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
      return List.of(attributes.size(), attributes.lastModifiedTime(), "" + attributes.fileKey());
    } catch (IOException e) {
      return "missing";
    }
  }
}
