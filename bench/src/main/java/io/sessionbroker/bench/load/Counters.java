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
}
