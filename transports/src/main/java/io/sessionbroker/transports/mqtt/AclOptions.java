package io.sessionbroker.transports.mqtt;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * MQTT authorization settings ({@code mqtt.aclFile}, {@code mqtt.adminUsers}, {@code
 * mqtt.aclReloadCheckMs}; docs/security.md "MQTT authorization").
 *
 * @param aclFile the ACL file, or null for the built-in device tree only
 * @param adminUsers MQTT user names that may use every topic
 * @param reloadCheckMs how often the file is checked for a change (0: never)
 */
public record AclOptions(Path aclFile, Set<String> adminUsers, long reloadCheckMs) {

  public static final long DEFAULT_RELOAD_CHECK_MS = 5_000;

  /** The device tree only. */
  public static final AclOptions NONE = new AclOptions(null, Set.of(), 0);

  public AclOptions {
    adminUsers = Set.copyOf(adminUsers);
    if (reloadCheckMs < 0) {
      throw new IllegalArgumentException(
          "mqtt.aclReloadCheckMs must be >= 0, was " + reloadCheckMs);
    }
  }

  /** From the {@code mqtt} section; a relative {@code aclFile} is resolved against baseDir. */
  public static AclOptions fromJson(JsonObject mqtt, Path baseDir) {
    String file = mqtt.getString("aclFile", "");
    Set<String> admins = new LinkedHashSet<>();
    for (Object user : mqtt.getJsonArray("adminUsers", new JsonArray())) {
      admins.add(String.valueOf(user));
    }
    return new AclOptions(
        file.isBlank() ? null : baseDir.resolve(file),
        admins,
        mqtt.getLong("aclReloadCheckMs", DEFAULT_RELOAD_CHECK_MS));
  }

  /**
   * Reads and parses the file (none: {@link AclRules#NONE}).
   *
   * @throws IllegalArgumentException naming the file and the line that is wrong
   */
  public AclRules load() {
    if (aclFile == null) {
      return AclRules.NONE;
    }
    try {
      return AclRules.parse(Files.readString(aclFile, StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new IllegalArgumentException(
          "mqtt.aclFile=" + aclFile + " is not a readable file", new UncheckedIOException(e));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("mqtt.aclFile=" + aclFile + ", " + e.getMessage(), e);
    }
  }

  /** The authorization these settings describe, with the file read now. */
  public TopicAcl acl() {
    return new TopicAcl(load(), adminUsers);
  }
}
