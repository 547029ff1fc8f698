package io.sessionbroker.cluster;

/** Event bus addresses: a public contract, documented in {@code docs/events.md}. */
public final class Addresses {

  public static final String OPENED = "sessions.opened";
  public static final String CLOSED = "sessions.closed";
  public static final String REJECTED = "sessions.rejected";
  public static final String INBOUND = "devices.inbound";

  /** Request/reply: a command to a device, answered by the device (docs/events.md). */
  public static final String COMMAND = "devices.command";

  public static final String ADMIN_LIST = "sessions.admin.list";
  public static final String ADMIN_GET = "sessions.admin.get";
  public static final String ADMIN_COUNT = "sessions.admin.count";
  public static final String ADMIN_KICK = "sessions.admin.kick";
  public static final String ADMIN_EVENTS = "sessions.admin.events";
  public static final String ADMIN_METRICS = "sessions.admin.metrics";
  public static final String ADMIN_BANS = "sessions.admin.bans";
  public static final String ADMIN_UNBAN = "sessions.admin.unban";

  /**
   * An address of one node only, {@code sessions.node.<nodeId>.<suffix>}: its share of the admin
   * API ({@code admin.list}, …), cross-node takeover ({@code takeover}) and the commands to its
   * devices ({@code command}). Not exposed through the bridge.
   */
  public static String ofNode(String nodeId, String suffix) {
    return "sessions.node." + nodeId + "." + suffix;
  }

  private Addresses() {}
}
