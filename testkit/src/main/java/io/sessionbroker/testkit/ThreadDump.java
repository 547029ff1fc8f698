package io.sessionbroker.testkit;

import java.util.Map;

/**
 * Every live thread of this JVM with its whole stack, for a test that gives up waiting on a node it
 * runs in-process: the report then says what the node was doing (the JDK's {@code ThreadInfo}
 * prints 8 frames of each stack at most).
 */
public final class ThreadDump {

  private ThreadDump() {}

  /** The threads, one block each: name, state, every frame. */
  public static String all() {
    StringBuilder out = new StringBuilder();
    for (Map.Entry<Thread, StackTraceElement[]> thread : Thread.getAllStackTraces().entrySet()) {
      out.append('"')
          .append(thread.getKey().getName())
          .append("\" ")
          .append(thread.getKey().getState())
          .append('\n');
      for (StackTraceElement frame : thread.getValue()) {
        out.append("\tat ").append(frame).append('\n');
      }
      out.append('\n');
    }
    return out.toString();
  }
}
