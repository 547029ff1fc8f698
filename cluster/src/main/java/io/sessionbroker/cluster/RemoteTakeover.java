package io.sessionbroker.cluster;

/** Tells another node to close a session it holds because the device opened a newer one here. */
@FunctionalInterface
public interface RemoteTakeover {

  /** Standalone: a holder on another node cannot exist; if the directory says so anyway, say it loudly. */
  RemoteTakeover NONE = (holder, deviceId) -> org.slf4j.LoggerFactory.getLogger(RemoteTakeover.class)
      .error("takeover_unroutable device={} node={}", deviceId, holder.nodeId());

  void takeOver(DeviceDirectory.Holder holder, String deviceId);
}
