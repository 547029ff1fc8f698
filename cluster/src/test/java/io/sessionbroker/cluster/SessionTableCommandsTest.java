package io.sessionbroker.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Commands to devices in the session table ({@link PendingCommands}): the reply, the deadline, the
 * in-flight bound, resends, and the cleanup when a session ends — on a direct executor and a fake
 * clock, so no test waits.
 */
class SessionTableCommandsTest {

  private static final int TICK_MS = 10;

  private final FakeClock clock = new FakeClock();
  private final SessionTable table =
      SessionTable.builder(TableOptions.builder().tickMs(TICK_MS).build(), clock, "node-a")
          .events(new RecordingEvents())
          .executor(Runnable::run)
          .commands(new CommandOptions(10_000, 60_000, 8_192, 2))
          .build();

  /** A connection that records the commands written to it; resends after {@code resendMs}. */
  private static final class Device implements Connection {
    final List<DeviceCommand> written = new ArrayList<>();
    final long resendMs;

    Device(long resendMs) {
      this.resendMs = resendMs;
    }

    @Override
    public void closed(Session session, CloseReason reason) {}

    @Override
    public boolean command(Session session, DeviceCommand command) {
      written.add(command);
      return true;
    }

    @Override
    public long commandResendMs() {
      return resendMs;
    }
  }

  private Session open(String deviceId, Device device) {
    return table
        .open(new OpenRequest(deviceId, "tcp", "127.0.0.1:5000", 30_000, null, device))
        .result();
  }

  private void run(long millis) {
    for (long left = millis; left > 0; left -= TICK_MS) {
      clock.advance(Math.min(TICK_MS, left));
      table.tick();
    }
  }

  private static int code(Future<?> failed) {
    assertThat(failed.failed()).as("failed").isTrue();
    return ((CommandFailure) failed.cause()).code();
  }

  /** Verifies that the device's reply to a command is what the sender gets. */
  @Test
  void theSenderGetsTheDevicesReply() {
    // given
    Device device = new Device(0);
    Session session = open("d1", device);

    // when
    Future<CommandReply> reply =
        table.admin().command("d1", "reboot", new JsonObject().put("in", 5), false, 1_000);
    DeviceCommand written = device.written.get(0);
    table.reply(session, written.id(), new CommandReply(200, "ok"));

    // then
    assertThat(written.frame().encode())
        .isEqualTo(
            "{\"type\":\"command\",\"id\":\""
                + written.id()
                + "\",\"name\":\"reboot\",\"payload\":{\"in\":5}}");
    assertThat(reply.result()).isEqualTo(new CommandReply(200, "ok"));
    assertThat(table.admin().commandsInFlight().result()).isZero();
  }

  /** Verifies that an unanswered command fails with 504 at its deadline, not a tick before. */
  @Test
  void anUnansweredCommandFailsWith504AtItsDeadline() {
    // given
    open("d1", new Device(0));
    Future<CommandReply> reply = table.admin().command("d1", "reboot", null, false, 1_000);

    // when
    run(990);

    // then
    assertThat(reply.isComplete()).isFalse();
    run(10);
    assertThat(code(reply)).isEqualTo(504);
    assertThat(table.admin().commandsInFlight().result()).isZero();
  }

  /** Verifies that a takeover fails the old session's commands with 503 at once. */
  @Test
  void aTakeoverFailsTheCommandsInFlightWith503AtOnce() {
    // given
    open("d1", new Device(0));
    Future<CommandReply> reply = table.admin().command("d1", "reboot", null, false, 10_000);

    // when
    open("d1", new Device(0));

    // then
    assertThat(code(reply)).isEqualTo(503);
    assertThat(reply.cause()).hasMessageContaining("TAKEN_OVER");
    assertThat(table.admin().commandsInFlight().result()).isZero();
  }

  /**
   * Verifies that a session's close fails its commands with 503 at once, and a late reply is
   * ignored.
   */
  @Test
  void aCloseFailsTheCommandsInFlightWith503AtOnce() {
    // given
    Device device = new Device(0);
    Session session = open("d1", device);
    Future<CommandReply> reply = table.admin().command("d1", "reboot", null, false, 10_000);

    // when
    table.close(session, CloseReason.CONNECTION_LOST);
    table.reply(session, device.written.get(0).id(), new CommandReply(200, null));

    // then
    assertThat(code(reply)).isEqualTo(503);
    assertThat(table.admin().commandsInFlight().result()).isZero();
  }

  /** Verifies that a command to a device without a session fails with 404. */
  @Test
  void aCommandToADeviceWithoutASessionFailsWith404() {
    assertThat(code(table.admin().command("nobody", "reboot", null, false, 1_000))).isEqualTo(404);
  }

  /** Verifies that one command more than the in-flight bound fails with 429, and a slot frees. */
  @Test
  void aCommandPastTheInFlightBoundFailsWith429() {
    // given
    Device device = new Device(0);
    Session session = open("d1", device);
    table.admin().command("d1", "a", null, false, 10_000);
    table.admin().command("d1", "b", null, false, 10_000);

    // when
    Future<CommandReply> third = table.admin().command("d1", "c", null, false, 10_000);

    // then
    assertThat(code(third)).isEqualTo(429);
    table.reply(session, device.written.get(0).id(), new CommandReply(200, null));
    assertThat(table.admin().command("d1", "c", null, false, 10_000).isComplete()).isFalse();
  }

  /** Verifies that a reply naming another session's command does not answer it. */
  @Test
  void aReplyFromAnotherSessionIsIgnored() {
    // given
    Device d1 = new Device(0);
    open("d1", d1);
    Session other = open("d2", new Device(0));
    Future<CommandReply> reply = table.admin().command("d1", "reboot", null, false, 1_000);

    // when
    table.reply(other, d1.written.get(0).id(), new CommandReply(200, "forged"));

    // then
    assertThat(reply.isComplete()).isFalse();
    run(1_000);
    assertThat(code(reply)).isEqualTo(504);
  }

  /**
   * Verifies that a connection that asks for resends gets the command again after 500 ms, then
   * after 1 s, then 2 s (backoff), and a duplicate reply changes nothing.
   */
  @Test
  void resendsWithBackoffUntilTheReplyAndIgnoresDuplicates() {
    // given
    Device device = new Device(500);
    Session session = open("d1", device);
    Future<CommandReply> reply = table.admin().command("d1", "reboot", null, false, 10_000);

    // when
    run(490);
    assertThat(device.written).hasSize(1);
    run(10);
    assertThat(device.written).hasSize(2);
    run(1_000);
    assertThat(device.written).hasSize(3);
    run(2_000);
    assertThat(device.written).hasSize(4);
    String id = device.written.get(0).id();
    table.reply(session, id, new CommandReply(200, "first"));
    table.reply(session, id, new CommandReply(200, "second"));
    run(8_000);

    // then
    assertThat(device.written).hasSize(4).extracting(DeviceCommand::id).containsOnly(id);
    assertThat(reply.result()).isEqualTo(new CommandReply(200, "first"));
  }

  /** Verifies that a one-way command is accepted once written, and not kept. */
  @Test
  void aOneWayCommandIsAcceptedOnceWritten() {
    // given
    Device device = new Device(0);
    open("d1", device);

    // when
    Future<CommandReply> reply = table.admin().command("d1", "blink", 3, true, 1_000);

    // then
    assertThat(reply.result()).isEqualTo(CommandReply.ACCEPTED);
    assertThat(device.written).hasSize(1);
    assertThat(table.admin().commandsInFlight().result()).isZero();
  }
}
