package io.sessionbroker.cluster;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Tells another node to close a session it holds because the device opened a newer one here. */
@FunctionalInterface
public interface RemoteTakeover {

  /**
   * Standalone: a holder on another node cannot exist; if the directory says so anyway, say it
   * loudly.
   */
  RemoteTakeover NONE = Unroutable.INSTANCE;

  void takeOver(DeviceDirectory.Holder holder, String deviceId);

  /**
   * {@link #NONE}: a class of its own, so its logger is an ordinary static field, not built in a
   * constant.
   */
  final class Unroutable implements RemoteTakeover {

    private static final Logger log = LoggerFactory.getLogger(RemoteTakeover.class);
    private static final Unroutable INSTANCE = new Unroutable();

    private Unroutable() {}

    @Override
    public void takeOver(DeviceDirectory.Holder holder, String deviceId) {
      log.error("takeover_unroutable device={} node={}", deviceId, holder.nodeId());
    }
  }
}
