package io.sessionbroker.cluster;

/**
 * The negotiated liveness terms of one session.
 *
 * @param heartbeatMs the heartbeat interval granted to the device; 0 = no application heartbeat
 * @param timeoutMs the silence after which the session is evicted; 0 = no deadline
 */
public record Liveness(int heartbeatMs, int timeoutMs) {

  /** No application heartbeat, no deadline: the transport detects loss itself (TCP keepalive). */
  public static final Liveness NONE = new Liveness(0, 0);

  public Liveness {
    if (heartbeatMs < 0 || timeoutMs < 0) {
      throw new IllegalArgumentException("negative liveness " + heartbeatMs + "/" + timeoutMs);
    }
  }
}
