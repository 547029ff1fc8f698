package io.sessionbroker.transports.codec;

import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;
import java.util.function.Function;

/**
 * The last words a transport says for each code a connection can end with (a close reason, an MQTT
 * reason code), built once when the class loads: a mass close ends thousands of connections with
 * the same few ends, and building and encoding one per close was among the largest of what an end
 * allocated on its event loop (issue 17; docs/benchmarks.md, "Cost of one session end, tenth
 * round"). Each value must be immutable, or never changed after it is built: every loop shares it.
 */
public final class EndsByCode {

  private EndsByCode() {}

  /**
   * {@code build} of every constant of {@code codes}, those it answers null for left out, in an
   * unmodifiable map read without locks by every thread.
   */
  public static <K extends Enum<K>, V> Map<K, V> of(Class<K> codes, Function<K, V> build) {
    Map<K, V> ends = new EnumMap<>(codes);
    for (K code : codes.getEnumConstants()) {
      V end = build.apply(code);
      if (end != null) {
        ends.put(code, end);
      }
    }
    return Collections.unmodifiableMap(ends);
  }
}
