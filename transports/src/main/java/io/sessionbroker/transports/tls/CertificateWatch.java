package io.sessionbroker.transports.tls;

import java.util.Objects;

/**
 * Decides when changed certificate files are re-read, told what the files look like at each check
 * (it reads no file and no clock, so its test needs neither).
 *
 * <p>A change is applied once it has held still for one check: an operator (or certbot) replacing
 * the certificate and then the key is seen between the two writes at most once, as a change still
 * in progress, and the pair is read after both are in place. Example with checks every 5 s: the
 * files change at 0:02 and 0:03; the check at 0:05 sees a new stamp (wait), the check at 0:10 sees
 * the same stamp again (reload). A stamp that differs at every check is never applied.
 */
public final class CertificateWatch {

  private Object applied;
  private Object seen;

  /**
   * @param current what the files look like now (e.g. their sizes, modification times and file
   *     keys), at start
   */
  public CertificateWatch(Object current) {
    this.applied = current;
    this.seen = current;
  }

  /** Records one check; true when the listeners should re-read the files now. */
  public boolean check(Object current) {
    boolean settled = Objects.equals(current, seen);
    seen = current;
    if (settled && !Objects.equals(current, applied)) {
      applied = current;
      return true;
    }
    return false;
  }
}
