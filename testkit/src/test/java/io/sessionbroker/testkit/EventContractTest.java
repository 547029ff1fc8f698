package io.sessionbroker.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sessionbroker.cluster.Addresses;
import io.sessionbroker.cluster.CloseReason;
import io.vertx.core.json.JsonObject;
import java.util.EnumSet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Verifies that the event contract check fails on each way a broker can break its promise, and only
 * then.
 */
class EventContractTest {

  private static final long TICK_MS = 5;
  private final ContractExtension.Scope test =
      scope("a test", CloseReason.TIMEOUT, CloseReason.KICKED);
  private final EventContract contract = new EventContract("a broker", TICK_MS, () -> {});
  private long seq;

  @AfterEach
  void stopWatching() {
    contract.abandon();
  }

  private static ContractExtension.Scope scope(String name, CloseReason... expected) {
    EnumSet<CloseReason> reasons = EnumSet.noneOf(CloseReason.class);
    reasons.addAll(java.util.List.of(expected));
    return new ContractExtension.Scope(name, reasons, 0);
  }

  private JsonObject opened(String session, String device) {
    return new JsonObject()
        .put("sessionId", session)
        .put("deviceId", device)
        .put("node", "n1")
        .put("seq", seq++);
  }

  private JsonObject closed(
      String session, String device, CloseReason reason, long lastSeenAt, long at) {
    return opened(session, device)
        .put("reason", reason.name())
        .put("lastSeenAt", lastSeenAt)
        .put("timeoutMs", 1_000)
        .put("at", at);
  }

  private void open(String session, String device, ContractExtension.Scope scope) {
    contract.record(Addresses.OPENED, opened(session, device), scope);
  }

  private void close(
      String session, String device, CloseReason reason, ContractExtension.Scope scope) {
    contract.record(Addresses.CLOSED, closed(session, device, reason, 0, 1_000), scope);
  }

  /** Verifies that an open followed by one expected close, on time, passes. */
  @Test
  void passesOneOpenAndOneExpectedClose() throws Exception {
    open("s1", "d1", test);
    contract.record(
        Addresses.CLOSED, closed("s1", "d1", CloseReason.TIMEOUT, 0, 1_000 + TICK_MS), test);

    contract.finish();
    assertThat(contract.closes()).hasSize(1);
  }

  /** Verifies that a second close of one session fails. */
  @Test
  void failsASecondClose() {
    open("s1", "d1", test);
    close("s1", "d1", CloseReason.KICKED, test);
    close("s1", "d1", CloseReason.KICKED, test);

    assertThatThrownBy(contract::finish).hasMessageContaining("closed 2 times");
  }

  /** Verifies that a close without an open fails. */
  @Test
  void failsACloseWithoutAnOpen() {
    close("s1", "d1", CloseReason.KICKED, test);

    assertThatThrownBy(contract::finish).hasMessageContaining("closed without an open");
  }

  /** Verifies that an open arriving after its session's close fails. */
  @Test
  void failsAnOpenAfterItsClose() {
    close("s1", "d1", CloseReason.KICKED, test);
    open("s1", "d1", test);

    assertThatThrownBy(contract::finish).hasMessageContaining("opened after its close");
  }

  /**
   * Verifies that a close with a reason the test did not declare fails, and teardown reasons after
   * the body pass.
   */
  @Test
  void failsAReasonTheTestDoesNotExpect() {
    open("s1", "d1", test);
    close("s1", "d1", CloseReason.TAKEN_OVER, test);

    assertThatThrownBy(contract::finish)
        .hasMessageContaining("closed with TAKEN_OVER, a reason a test does not");
  }

  /**
   * Verifies that the teardown reasons pass once no test runs, and that SHUTDOWN passes while
   * shutting down.
   */
  @Test
  void passesTeardownReasonsBetweenTestsAndShutdownWhileShuttingDown() throws Exception {
    open("s1", "d1", test);
    open("s2", "d2", test);
    close("s1", "d1", CloseReason.CONNECTION_LOST, null);
    contract.shuttingDown();
    close("s2", "d2", CloseReason.SHUTDOWN, test);

    contract.finish();
  }

  /** Verifies that a TIMEOUT before lastSeenAt + timeoutMs fails. */
  @Test
  void failsAnEarlyTimeout() {
    open("s1", "d1", test);
    contract.record(Addresses.CLOSED, closed("s1", "d1", CloseReason.TIMEOUT, 0, 999), test);

    assertThatThrownBy(contract::finish).hasMessageContaining("1 ms before its deadline");
  }

  /**
   * Verifies that a TIMEOUT later than a tick plus the slack fails, and one exactly at that bound
   * passes.
   */
  @Test
  void failsATimeoutLaterThanATickAndTheSlack() throws Exception {
    long bound = 1_000 + TICK_MS + EventContract.TIMEOUT_SLACK_MS;
    open("s1", "d1", test);
    open("s2", "d2", test);
    contract.record(Addresses.CLOSED, closed("s1", "d1", CloseReason.TIMEOUT, 0, bound), test);
    contract.record(Addresses.CLOSED, closed("s2", "d2", CloseReason.TIMEOUT, 0, bound + 1), test);

    assertThatThrownBy(contract::finish).hasMessageContaining("s2").hasMessageNotContaining("s1 ");
  }

  /**
   * Verifies that one node's seq going backwards fails, while two nodes' sequences may interleave.
   */
  @Test
  void failsASeqThatGoesBackwardsOnOneNode() {
    contract.record(Addresses.REJECTED, new JsonObject().put("node", "n1").put("seq", 5), test);
    contract.record(Addresses.REJECTED, new JsonObject().put("node", "n2").put("seq", 3), test);
    contract.record(Addresses.REJECTED, new JsonObject().put("node", "n2").put("seq", 4), test);
    contract.record(Addresses.REJECTED, new JsonObject().put("node", "n1").put("seq", 5), test);

    assertThatThrownBy(contract::finish)
        .hasMessageContaining("seq went backwards on node n1: 5 after 5")
        .hasMessageNotContaining("node n2");
  }

  /**
   * Verifies that an event without seq fails: the event log numbers every open, close and
   * rejection.
   */
  @Test
  void failsAnEventWithoutSeq() {
    contract.record(
        Addresses.REJECTED, new JsonObject().put("node", "n1").put("code", "bad_hello"), test);

    assertThatThrownBy(contract::finish).hasMessageContaining("no seq on sessions.rejected");
  }

  /** Verifies that a device id opened by two tests fails the later one. */
  @Test
  void failsADeviceIdUsedByTwoTests() {
    ContractExtension.Scope later = scope("a later test", CloseReason.KICKED);
    open("s1", "d1", test);
    close("s1", "d1", CloseReason.KICKED, test);
    open("s2", "d1", later);
    close("s2", "d1", CloseReason.KICKED, later);

    assertThatThrownBy(contract::finish)
        .hasMessageContaining("device d1 is used by a later test and by a test");
  }

  /** Verifies that a session left open when the broker has shut down fails. */
  @Test
  void failsASessionNeverClosed() {
    open("s1", "d1", test);

    assertThatThrownBy(contract::finish).hasMessageContaining("opened and never closed");
  }

  /**
   * Verifies that a violation is reported once: the check after the test, then not again at the
   * finish.
   */
  @Test
  void reportsEachViolationOnce() throws Exception {
    close("s1", "d1", CloseReason.KICKED, test);

    assertThatThrownBy(() -> contract.check(test)).hasMessageContaining("without an open");
    contract.finish();
  }
}
