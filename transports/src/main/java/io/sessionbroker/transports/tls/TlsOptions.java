package io.sessionbroker.transports.tls;

import io.vertx.core.http.ClientAuth;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.core.net.ServerSSLOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Set;

/**
 * The {@code tls} section: one certificate for every TLS listener of a node (docs/security.md).
 *
 * @param certFile the server's certificate chain, PEM, leaf first
 * @param keyFile its private key, PEM (PKCS#8 or PKCS#1)
 * @param caFile certificates that client certificates must chain to, PEM; null when clients are not
 *     asked for one
 * @param clientAuth whether a client must present a certificate: {@code NONE}, {@code REQUEST}
 *     (checked when presented), {@code REQUIRED}
 * @param reloadCheckMs how often the files are checked for a change, which re-reads them into every
 *     TLS listener without a restart; 0 = never
 * @param crlFile certificate revocation lists, PEM: a client certificate they list is refused; null
 *     when none (needs {@code caFile}; re-read like the other files)
 * @param engine who does the TLS work: {@code openssl} (BoringSSL through netty-tcnative, shipped
 *     for x86-64 Linux; the JDK's engine where it cannot load, with a warning) or {@code jdk}
 */
public record TlsOptions(
    Path certFile,
    Path keyFile,
    Path caFile,
    ClientAuth clientAuth,
    long reloadCheckMs,
    Path crlFile,
    TlsEngine engine) {

  /** TLS 1.2 and 1.3 only: older versions have known attacks (RFC 8996 deprecates 1.0 and 1.1). */
  public static final Set<String> PROTOCOLS = Set.of("TLSv1.2", "TLSv1.3");

  public static final long DEFAULT_RELOAD_CHECK_MS = 5_000;

  public TlsOptions {
    if (certFile == null || keyFile == null) {
      throw new IllegalArgumentException("tls.certFile and tls.keyFile must both be set");
    }
    if (clientAuth == null) {
      throw new IllegalArgumentException("tls.clientAuth must be none, request or require");
    }
    if (clientAuth != ClientAuth.NONE && caFile == null) {
      throw new IllegalArgumentException(
          "tls.clientAuth=" + name(clientAuth) + " needs tls.caFile to check client certificates");
    }
    if (engine == null) {
      throw new IllegalArgumentException("tls.engine must be openssl or jdk");
    }
    if (reloadCheckMs < 0) {
      throw new IllegalArgumentException("tls.reloadCheckMs must be >= 0, was " + reloadCheckMs);
    }
    readable("tls.certFile", certFile);
    readable("tls.keyFile", keyFile);
    if (caFile != null) {
      readable("tls.caFile", caFile);
    }
    if (crlFile != null) {
      if (caFile == null) {
        throw new IllegalArgumentException(
            "tls.crlFile needs tls.caFile: revocation lists apply to client certificates");
      }
      readable("tls.crlFile", crlFile);
    }
  }

  /** Without a revocation list. */
  public TlsOptions(
      Path certFile, Path keyFile, Path caFile, ClientAuth clientAuth, long reloadCheckMs) {
    this(certFile, keyFile, caFile, clientAuth, reloadCheckMs, null, TlsEngine.OPENSSL);
  }

  /**
   * The section's options, or null when {@code certFile} is empty (TLS off); relative file names
   * are resolved against {@code baseDir}.
   */
  public static TlsOptions fromJson(JsonObject json, Path baseDir) {
    String cert = json.getString("certFile", "");
    if (cert.isEmpty()) {
      return null;
    }
    String key = json.getString("keyFile", "");
    String ca = json.getString("caFile", "");
    String crl = json.getString("crlFile", "");
    return new TlsOptions(
        baseDir.resolve(cert),
        key.isEmpty() ? null : baseDir.resolve(key),
        ca.isEmpty() ? null : baseDir.resolve(ca),
        clientAuth(json.getString("clientAuth", "none")),
        json.getLong("reloadCheckMs", DEFAULT_RELOAD_CHECK_MS),
        crl.isEmpty() ? null : baseDir.resolve(crl),
        TlsEngine.parse(json.getString("engine", "openssl")));
  }

  /** {@code none}, {@code request}, {@code require}, as in the configuration. */
  static ClientAuth clientAuth(String text) {
    return switch (text.toLowerCase(Locale.ROOT)) {
      case "none" -> ClientAuth.NONE;
      case "request" -> ClientAuth.REQUEST;
      case "require", "required" -> ClientAuth.REQUIRED;
      default ->
          throw new IllegalArgumentException(
              "tls.clientAuth must be none, request or require, was " + text);
    };
  }

  private static String name(ClientAuth auth) {
    return auth == ClientAuth.REQUIRED ? "require" : auth.name().toLowerCase(Locale.ROOT);
  }

  /** Makes {@code server} a TLS server with these files (read when it binds). */
  public <T extends NetServerOptions> T applyTo(T server) {
    server
        .setSsl(true)
        .setKeyCertOptions(keyCert())
        .setEnabledSecureTransportProtocols(PROTOCOLS)
        .setClientAuth(clientAuth)
        .setSslEngineOptions(engine.options());
    if (caFile != null) {
      server.setTrustOptions(trust());
    }
    if (crlFile != null) {
      server.addCrlPath(crlFile.toString());
    }
    return server;
  }

  /** The same settings for {@code updateSSLOptions}: the files are read again. */
  public ServerSSLOptions sslOptions() {
    ServerSSLOptions ssl =
        new ServerSSLOptions()
            .setKeyCertOptions(keyCert())
            .setEnabledSecureTransportProtocols(PROTOCOLS)
            .setClientAuth(clientAuth);
    if (caFile != null) {
      ssl.setTrustOptions(trust());
    }
    if (crlFile != null) {
      ssl.addCrlPath(crlFile.toString());
    }
    return ssl;
  }

  private PemKeyCertOptions keyCert() {
    return new PemKeyCertOptions().setCertPath(certFile.toString()).setKeyPath(keyFile.toString());
  }

  private PemTrustOptions trust() {
    return new PemTrustOptions().addCertPath(caFile.toString());
  }

  public JsonObject toJson() {
    return new JsonObject()
        .put("certFile", certFile.toString())
        .put("keyFile", keyFile.toString())
        .put("caFile", caFile == null ? "" : caFile.toString())
        .put("clientAuth", name(clientAuth))
        .put("reloadCheckMs", reloadCheckMs)
        .put("crlFile", crlFile == null ? "" : crlFile.toString())
        .put("engine", engine.configName());
  }

  private static void readable(String setting, Path file) {
    if (!Files.isReadable(file)) {
      throw new IllegalArgumentException(setting + "=" + file + " is not a readable file");
    }
  }
}
