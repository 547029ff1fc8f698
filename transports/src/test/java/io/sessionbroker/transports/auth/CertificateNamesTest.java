package io.sessionbroker.transports.auth;

import static org.assertj.core.api.Assertions.assertThat;

import io.sessionbroker.testkit.TestPki;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Verifies which device ids a client certificate vouches for. */
class CertificateNamesTest {

  @TempDir Path dir;

  @Test
  void theCommonNameAndTheDnsAlternativeNamesCountButAnIpAddressDoesNot() {
    TestPki pki = TestPki.create(dir, "names-ca");

    // a client certificate: CN only; a server certificate: CN localhost, SAN dns:localhost, ip
    assertThat(CertificateNames.of(pki.client("c", "sensor-42").certificate()))
        .containsExactly("sensor-42");
    assertThat(CertificateNames.of(pki.server("s").certificate())).containsExactly("localhost");
  }

  @Test
  void noSessionVouchesForNothing() {
    assertThat(CertificateNames.of((javax.net.ssl.SSLSession) null)).isEmpty();
  }
}
