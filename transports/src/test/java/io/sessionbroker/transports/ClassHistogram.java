package io.sessionbroker.transports;

import java.lang.management.ManagementFactory;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.management.ObjectName;

/**
 * This JVM's live objects of one class, as {@code jcmd PID GC.class_histogram} counts them (a full
 * collection first): for tests that guard what a connection keeps for its whole life (issue 17).
 */
public final class ClassHistogram {

  private ClassHistogram() {}

  /**
   * Live instances of the class named {@code className} (binary name), 0 when there are none. A JDK
   * class's row ends with its module, e.g. {@code java.util.HashSet (java.base@17.0.15)}.
   */
  public static long instances(String className) {
    Matcher row =
        Pattern.compile(
                "(?m)^\\s*\\d+:\\s+(\\d+)\\s+\\d+\\s+"
                    + Pattern.quote(className)
                    + "(?: \\(\\S+\\))?\\s*$")
            .matcher(histogram());
    return row.find() ? Long.parseLong(row.group(1)) : 0;
  }

  /**
   * Bytes of the live objects of every class whose binary name starts with {@code prefix}, lambdas
   * and inner classes included (e.g. {@code "io.sessionbroker."}: the broker's own objects).
   */
  public static long bytesOfClassesStartingWith(String prefix) {
    Matcher row =
        Pattern.compile("(?m)^\\s*\\d+:\\s+\\d+\\s+(\\d+)\\s+" + Pattern.quote(prefix))
            .matcher(histogram());
    long bytes = 0;
    while (row.find()) {
      bytes += Long.parseLong(row.group(1));
    }
    return bytes;
  }

  private static String histogram() {
    try {
      return (String)
          ManagementFactory.getPlatformMBeanServer()
              .invoke(
                  new ObjectName("com.sun.management:type=DiagnosticCommand"),
                  "gcClassHistogram",
                  new Object[] {new String[0]},
                  new String[] {String[].class.getName()});
    } catch (Exception e) {
      throw new IllegalStateException("no class histogram from this JVM: " + e, e);
    }
  }
}
