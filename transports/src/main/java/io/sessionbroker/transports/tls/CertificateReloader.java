package io.sessionbroker.transports.tls;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.net.ServerSSLOptions;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves a replaced certificate without a restart: every {@link TlsOptions#reloadCheckMs()} it
 * looks at the PEM files and, once a change has settled ({@link CertificateWatch}), hands the
 * server fresh SSL options ({@code updateSSLOptions}, forced: the paths are the same, the contents
 * are not). Connections already open keep their session; new handshakes get the new certificate. A
 * file that cannot be read or parsed leaves the old certificate in place and says so in the log.
 */
public final class CertificateReloader {

  private static final Logger log = LoggerFactory.getLogger(CertificateReloader.class);

  private final Vertx vertx;
  private final TlsOptions tls;
  private final String listener;
  private final Function<ServerSSLOptions, Future<Boolean>> update;
  private long timer = -1;

  /**
   * @param listener its name in log lines, e.g. {@code "mqtt"}
   * @param update the server's {@code options -> server.updateSSLOptions(options, true)}
   */
  public CertificateReloader(
      Vertx vertx,
      TlsOptions tls,
      String listener,
      Function<ServerSSLOptions, Future<Boolean>> update) {
    this.vertx = vertx;
    this.tls = tls;
    this.listener = listener;
    this.update = update;
  }

  /** Starts checking; does nothing when {@code reloadCheckMs} is 0. */
  public CertificateReloader start() {
    if (tls.reloadCheckMs() > 0) {
      CertificateWatch watch = new CertificateWatch(stamp());
      timer = vertx.setPeriodic(tls.reloadCheckMs(), id -> check(watch));
    }
    return this;
  }

  public void stop() {
    if (timer >= 0) {
      vertx.cancelTimer(timer);
    }
  }

  private void check(CertificateWatch watch) {
    if (watch.check(stamp())) {
      update
          .apply(tls.sslOptions())
          .onSuccess(
              v -> log.info("tls_reloaded listener={} certFile={}", listener, tls.certFile()))
          .onFailure(
              e ->
                  log.warn(
                      "tls_reload_failed listener={} certFile={} keeping the previous certificate: {}",
                      listener,
                      tls.certFile(),
                      e.toString()));
    }
  }

  private List<Object> stamp() {
    return FileStamps.of(files());
  }

  private List<Path> files() {
    List<Path> files = new ArrayList<>(List.of(tls.certFile(), tls.keyFile()));
    if (tls.caFile() != null) {
      files.add(tls.caFile());
    }
    return files;
  }
}
