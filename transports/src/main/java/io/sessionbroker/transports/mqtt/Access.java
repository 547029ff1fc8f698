package io.sessionbroker.transports.mqtt;

import java.util.Locale;

/** What an ACL rule grants on the topics it names: receive them, publish to them, or both. */
public enum Access {
  READ,
  WRITE,
  READWRITE;

  boolean reads() {
    return this != WRITE;
  }

  boolean writes() {
    return this != READ;
  }

  /** {@code read}, {@code write} or {@code readwrite}, as in an ACL file; null for another word. */
  static Access parse(String word) {
    return switch (word.toLowerCase(Locale.ROOT)) {
      case "read" -> READ;
      case "write" -> WRITE;
      case "readwrite" -> READWRITE;
      default -> null;
    };
  }
}
