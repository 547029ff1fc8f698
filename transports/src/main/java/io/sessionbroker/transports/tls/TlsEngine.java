package io.sessionbroker.transports.tls;

import io.netty.handler.ssl.OpenSsl;
import io.vertx.core.net.JdkSSLEngineOptions;
import io.vertx.core.net.OpenSSLEngineOptions;
import io.vertx.core.net.SSLEngineOptions;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Who does the TLS work of the listeners ({@code tls.engine}). {@code openssl} is BoringSSL through
 * netty-tcnative: a full handshake costs the broker about a third of the JDK's {@code SSLEngine}
 * CPU here (docs/benchmarks.md, "TLS (issue 15)"), which is what a reconnecting fleet pays. Where
 * the native library cannot load (another platform, a locked-down temp directory), the listeners
 * use the JDK's engine and the log says why, once: TLS keeps working, only slower.
 */
public enum TlsEngine {
  OPENSSL,
  JDK;

  private static final Logger log = LoggerFactory.getLogger(TlsEngine.class);
  private static volatile boolean fallbackLogged;

  /** {@code openssl} or {@code jdk}, as in the configuration. */
  public static TlsEngine parse(String text) {
    return switch (text.toLowerCase(Locale.ROOT)) {
      case "openssl" -> OPENSSL;
      case "jdk" -> JDK;
      default ->
          throw new IllegalArgumentException("tls.engine must be openssl or jdk, was " + text);
    };
  }

  public String configName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The engine the listeners get: OpenSSL only where it loads. */
  SSLEngineOptions options() {
    return this == OPENSSL && available(OpenSsl.isAvailable(), OpenSsl.unavailabilityCause())
        ? new OpenSSLEngineOptions()
        : new JdkSSLEngineOptions();
  }

  /**
   * Whether OpenSSL can be used; logs the fallback to the JDK's engine the first time it cannot.
   */
  static boolean available(boolean loaded, Throwable cause) {
    if (!loaded && !fallbackLogged) {
      fallbackLogged = true;
      log.warn(
          "tls_engine_fallback wanted=openssl using=jdk reason=\"{}\": TLS works, handshakes cost"
              + " more CPU; set tls.engine to jdk to silence this",
          cause == null ? "unknown" : cause.toString());
    }
    return loaded;
  }
}
