package io.sessionbroker.transports.mqtt;

import io.sessionbroker.transports.tls.CertificateWatch;
import io.sessionbroker.transports.tls.FileStamps;
import io.vertx.core.Vertx;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies a changed ACL file without a restart: every {@link AclOptions#reloadCheckMs()} it looks
 * at the file and, once a change has held still for one check ({@link CertificateWatch}, the same
 * rule as for certificates), parses it and {@link TopicAcl#replace replaces} the rules. Connected
 * clients get the new rules at their next PUBLISH, SUBSCRIBE or delivery. A file that does not
 * parse leaves the previous rules in force and says so in the log ({@code mqtt_acl_reload_failed}).
 */
public final class AclReloader {

  private static final Logger log = LoggerFactory.getLogger(AclReloader.class);

  private final Vertx vertx;
  private final AclOptions options;
  private final TopicAcl acl;
  private long timer = -1;

  public AclReloader(Vertx vertx, AclOptions options, TopicAcl acl) {
    this.vertx = vertx;
    this.options = options;
    this.acl = acl;
  }

  /** Starts checking; does nothing without a file or with {@code reloadCheckMs} 0. */
  public AclReloader start() {
    if (options.aclFile() != null && options.reloadCheckMs() > 0) {
      CertificateWatch watch = new CertificateWatch(stamp());
      timer = vertx.setPeriodic(options.reloadCheckMs(), id -> check(watch));
    }
    return this;
  }

  public void stop() {
    if (timer >= 0) {
      vertx.cancelTimer(timer);
    }
  }

  private void check(CertificateWatch watch) {
    if (!watch.check(stamp())) {
      return;
    }
    try {
      AclRules rules = options.load();
      acl.replace(rules);
      log.info(
          "mqtt_acl_reloaded aclFile={} rules={} users={}",
          options.aclFile(),
          rules.everyone().size(),
          rules.users().size());
    } catch (IllegalArgumentException e) {
      log.warn("mqtt_acl_reload_failed keeping the previous rules: {}", e.getMessage());
    }
  }

  private List<Object> stamp() {
    return FileStamps.of(List.of(options.aclFile()));
  }
}
