package io.sessionbroker.transports;

/**
 * The transports' names: in sessions and events ({@code transport}), in the configuration (one
 * section each) and in the broker's listener list. The only place they are spelled.
 */
public enum TransportName {
  TCP("tcp"),
  UDP("udp"),
  MQTT("mqtt"),
  WEBSOCKET("websocket");

  private final String id;

  TransportName(String id) {
    this.id = id;
  }

  /**
   * The name as it appears on the wire, in events and in the configuration: {@code tcp}, {@code
   * udp}, …
   */
  public String id() {
    return id;
  }

  @Override
  public String toString() {
    return id;
  }
}
