package io.sessionbroker.cluster;

/** Sessions for tests outside this package (the constructor is the table's alone). */
public final class TestSessions {

  private TestSessions() {}

  /** A TCP session of {@code deviceId} as a typical device opens it (heartbeat 30 s). */
  public static Session tcp(long id, String deviceId, long now) {
    return new Session(
        id,
        new OpenRequest(deviceId, "tcp", "10.1.2.3:50312", 30_000, null, (s, r) -> {}),
        new Liveness(30_000, 45_000),
        now);
  }
}
