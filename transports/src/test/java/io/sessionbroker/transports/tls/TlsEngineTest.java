package io.sessionbroker.transports.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.vertx.core.net.JdkSSLEngineOptions;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.OpenSSLEngineOptions;
import org.junit.jupiter.api.Test;

/** Verifies the choice of TLS engine ({@code tls.engine}) and its fallback. */
class TlsEngineTest {

  /**
   * Verifies that on x86-64 Linux, the platform whose BoringSSL library the broker ships, {@code
   * openssl} gives the listeners OpenSSL: a build that loses the native library fails here instead
   * of silently handshaking three times slower.
   */
  @Test
  void opensslIsWhatTheListenersGetWhereTheLibraryIsShipped() {
    assumeTrue(
        System.getProperty("os.name").equals("Linux")
            && System.getProperty("os.arch").equals("amd64"),
        "the shipped native library is for x86-64 Linux");

    assertThat(new NetServerOptions().setSslEngineOptions(TlsEngine.OPENSSL.options()))
        .extracting(NetServerOptions::getSslEngineOptions)
        .isInstanceOf(OpenSSLEngineOptions.class);
  }

  @Test
  void jdkIsTheJdksEngine() {
    assertThat(TlsEngine.JDK.options()).isInstanceOf(JdkSSLEngineOptions.class);
  }

  /**
   * Verifies that where OpenSSL does not load, the answer is "not available" (the JDK's engine).
   */
  @Test
  void aLibraryThatDoesNotLoadMeansTheJdksEngine() {
    assertThat(TlsEngine.available(false, new UnsatisfiedLinkError("no libnetty_tcnative")))
        .isFalse();
    assertThat(TlsEngine.available(true, null)).isTrue();
  }

  @Test
  void theConfigurationNamesEngineByWord() {
    assertThat(TlsEngine.parse("OpenSSL")).isEqualTo(TlsEngine.OPENSSL);
    assertThat(TlsEngine.parse("jdk")).isEqualTo(TlsEngine.JDK);
    assertThat(TlsEngine.JDK.configName()).isEqualTo("jdk");
    assertThatThrownBy(() -> TlsEngine.parse("boringssl"))
        .hasMessage("tls.engine must be openssl or jdk, was boringssl");
  }
}
