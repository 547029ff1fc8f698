package io.sessionbroker.transports.mqtt;

/**
 * The MQTT topics of commands to devices (docs/protocol.md, "Commands over MQTT"): the broker
 * publishes {@code commands/{deviceId}/req/{id}/{name}}; the device answers on {@code
 * commands/{deviceId}/res/{id}/{status}} (or {@code commands/{deviceId}/res/{id}}, the MQTT 5
 * Response Topic, for status 200). The {@code commands/} tree is the broker's: a client's PUBLISH
 * under it is never passed on to subscribers.
 */
final class CommandTopics {

  static final String ROOT = "commands/";

  /** A device's answer as its topic names it: which device, which command, what status. */
  record Reply(String deviceId, String id, int status) {}

  private CommandTopics() {}

  static String request(String deviceId, String id, String name) {
    return ROOT + deviceId + "/req/" + id + "/" + name;
  }

  /** Where an MQTT 5 device answers with status 200 (the Response Topic of each command). */
  static String response(String deviceId, String id) {
    return ROOT + deviceId + "/res/" + id;
  }

  static boolean isCommandTopic(String topic) {
    return topic.startsWith(ROOT);
  }

  /**
   * The reply a topic names, or null when it is no reply topic ({@code commands/{d}/res/{id}} with
   * an optional status of 100–599). A device id with a {@code /} cannot be parsed back, and gets no
   * commands over MQTT: docs/protocol.md says so.
   */
  static Reply reply(String topic) {
    if (!isCommandTopic(topic)) {
      return null;
    }
    String[] levels = topic.substring(ROOT.length()).split("/", -1);
    if ((levels.length != 3 && levels.length != 4) || !"res".equals(levels[1])) {
      return null;
    }
    int status = 200;
    if (levels.length == 4) {
      try {
        status = Integer.parseInt(levels[3]);
      } catch (NumberFormatException e) {
        return null;
      }
      if (status < 100 || status > 599) {
        return null;
      }
    }
    return levels[0].isEmpty() || levels[2].isEmpty()
        ? null
        : new Reply(levels[0], levels[2], status);
  }
}
