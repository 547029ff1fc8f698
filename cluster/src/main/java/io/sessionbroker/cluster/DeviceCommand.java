package io.sessionbroker.cluster;

import io.vertx.core.json.JsonObject;

/**
 * A command on its way to a device, as every transport writes it: {@code
 * {"type":"command","id":"…","name":"…","payload":…}} (docs/protocol.md, "Commands").
 *
 * @param id this node's id of the command, 16 hex digits: the device echoes it in its reply
 * @param name what the device is asked to do ({@code reboot}); 1–64 characters, no {@code /},
 *     {@code +} or {@code #} (it is an MQTT topic level)
 * @param payload any JSON value, or null
 * @param oneWay the sender expects no reply
 */
public record DeviceCommand(String id, String name, Object payload, boolean oneWay) {

  /** The frame raw TCP, UDP and WebSocket devices get. */
  public JsonObject frame() {
    return new JsonObject()
        .put("type", "command")
        .put("id", id)
        .put("name", name)
        .put("payload", payload);
  }
}
