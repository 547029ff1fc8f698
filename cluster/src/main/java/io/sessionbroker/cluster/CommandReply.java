package io.sessionbroker.cluster;

import io.vertx.core.json.JsonObject;

/**
 * A device's answer to a command: the status it chose (HTTP-like, 100–599) and any JSON payload.
 */
public record CommandReply(int status, Object payload) {

  /** What a one-way command's sender gets once the command is on the device's connection. */
  public static final CommandReply ACCEPTED = new CommandReply(202, null);

  public JsonObject toJson() {
    return new JsonObject().put("status", status).put("payload", payload);
  }

  public static CommandReply fromJson(JsonObject json) {
    return new CommandReply(json.getInteger("status"), json.getValue("payload"));
  }
}
