package io.sessionbroker.bench.load;

/** What a worker counts; read by the progress line and the result. */
final class Counters {
  int pending;
  int opened;
  int failed;
  int unexpectedCloses;
  long pings;
  double firstStartWallMs;
  double lastOpenWallMs;
  String firstFailure;
}
