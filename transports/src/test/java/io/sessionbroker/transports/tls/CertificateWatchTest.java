package io.sessionbroker.transports.tls;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Verifies when changed certificate files are re-read. */
class CertificateWatchTest {

  @Test
  void filesThatDoNotChangeAreNeverReloaded() {
    CertificateWatch watch = new CertificateWatch("a");

    assertThat(watch.check("a")).isFalse();
    assertThat(watch.check("a")).isFalse();
  }

  @Test
  void aChangeIsReloadedOnceItHasHeldStillForOneCheck() {
    CertificateWatch watch = new CertificateWatch("a");

    assertThat(watch.check("b")).as("first seen: maybe the key is still being written").isFalse();
    assertThat(watch.check("b")).as("settled").isTrue();
    assertThat(watch.check("b")).as("already applied").isFalse();
  }

  @Test
  void filesStillChangingAtEveryCheckAreNotReloadedUntilTheyStop() {
    CertificateWatch watch = new CertificateWatch("a");

    assertThat(watch.check("b")).isFalse();
    assertThat(watch.check("c")).isFalse();
    assertThat(watch.check("d")).isFalse();
    assertThat(watch.check("d")).isTrue();
  }

  @Test
  void filesPutBackAsTheyWereNeedNoReload() {
    CertificateWatch watch = new CertificateWatch("a");

    assertThat(watch.check("b")).isFalse();
    assertThat(watch.check("a")).isFalse();
    assertThat(watch.check("a")).isFalse();
  }
}
