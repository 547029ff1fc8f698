package io.sessionbroker.bench.load;

/** What a worker counts; read by the progress line and the result. */
final class Counters {
  int pending;
  int opened;
  int failed;
  int unexpectedCloses;
  long pings;

  /**
   * UDP: heartbeats the local socket would not take (send buffer full), hellos sent again,
   * datagrams that made no sense.
   */
  long udpSendFull;

  long udpHelloRetries;
  long udpUnknown;
  long udpPongs;

  /** Commands answered; devices ready for commands (MQTT: subscribed). */
  long commandsAnswered;

  int commandReady;
  double firstStartWallMs;
  double lastOpenWallMs;
  String firstFailure;

  /** The worker's progress line on stderr: what it has done {@code elapsedS} into {@code phase}. */
  String progressLine(
      int worker, double elapsedS, String phase, int devices, boolean answering, boolean udp) {
    return String.format(
        "loadgen[%d]: %5.1fs %-9s opened=%d/%d failed=%d pending=%d pings=%d lost=%d%s%s",
        worker,
        elapsedS,
        phase,
        opened,
        devices,
        failed,
        pending,
        pings,
        unexpectedCloses,
        answering ? " answered=" + commandsAnswered : "",
        udp
            ? String.format(
                " udp: pongs=%d helloRetries=%d sendFull=%d",
                udpPongs, udpHelloRetries, udpSendFull)
            : "");
  }
}
