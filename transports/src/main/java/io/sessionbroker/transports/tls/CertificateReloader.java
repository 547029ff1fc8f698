package io.sessionbroker.transports.tls;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.MessageConsumer;
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
 *
 * <p>A publish to {@link #RELOAD_ADDRESS} (the broker sends one on SIGHUP) reloads at once, whether
 * or not the files look changed, and even with the file watch off ({@code reloadCheckMs} 0).
 */
public final class CertificateReloader {

  private static final Logger log = LoggerFactory.getLogger(CertificateReloader.class);

  /**
   * Publish here, local only, to reload every listener's certificate now. Not under {@code
   * sessions.admin.}: no bridge may send to it.
   */
  public static final String RELOAD_ADDRESS = "broker.tls.reload";

  /** How {@link #RELOAD_ADDRESS} is to be published: to this process's listeners only. */
  public static final DeliveryOptions RELOAD_DELIVERY = new DeliveryOptions().setLocalOnly(true);

  private final Vertx vertx;
  private final TlsOptions tls;
  private final String listener;
  private final Function<ServerSSLOptions, Future<Boolean>> update;
  private long timer = -1;
  private MessageConsumer<Object> onSignal;

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

  /**
   * Starts listening to {@link #RELOAD_ADDRESS}, and checking the files unless {@code
   * reloadCheckMs} is 0.
   */
  public CertificateReloader start() {
    onSignal = vertx.eventBus().localConsumer(RELOAD_ADDRESS, m -> reload("signal"));
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
    if (onSignal != null) {
      onSignal.unregister();
    }
  }

  private void check(CertificateWatch watch) {
    if (watch.check(stamp())) {
      reload("file");
    }
  }

  /**
   * @param trigger {@code file} (the watch saw a change) or {@code signal} (SIGHUP), for the log
   */
  private void reload(String trigger) {
    ServerSSLOptions options;
    try {
      options = tls.sslOptions();
    } catch (RuntimeException e) {
      log.warn(
          "tls_reload_failed listener={} trigger={} keeping the previous certificate: {}",
          listener,
          trigger,
          e.toString());
      return;
    }
    update
        .apply(options)
        .onSuccess(
            v ->
                log.info(
                    "tls_reloaded listener={} trigger={} certFile={}",
                    listener,
                    trigger,
                    tls.certFile()))
        .onFailure(
            e ->
                log.warn(
                    "tls_reload_failed listener={} trigger={} certFile={} keeping the previous certificate: {}",
                    listener,
                    trigger,
                    tls.certFile(),
                    e.toString()));
  }

  private List<Object> stamp() {
    return FileStamps.of(files());
  }

  private List<Path> files() {
    List<Path> files = new ArrayList<>(List.of(tls.certFile(), tls.keyFile()));
    if (tls.caFile() != null) {
      files.add(tls.caFile());
    }
    if (tls.crlFile() != null) {
      files.add(tls.crlFile());
    }
    return files;
  }
}
