package io.sessionbroker.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Verifies that {@link LoggedCloses} finds a session's close anywhere in the event log, past the
 * first page, and only closes: what decides whether a close withheld through a split brain goes out
 * (DESIGN.md §3 invariant 2).
 */
class LoggedClosesTest {

  /**
   * Verifies that of the sessions asked about, exactly those with a {@code sessions.closed} event
   * are found: one in the last of three pages, none for an open-only session or one not logged.
   */
  @Test
  void findsTheClosesOfTheSessionsAskedAboutOnEveryPage() {
    // given: 2,500 events; the close asked about far past the first page
    LocalEventLog log = new LocalEventLog(10_000);
    List<JsonObject> entries = new ArrayList<>();
    for (int i = 0; i < 2_500; i++) {
      String address = i % 2 == 0 ? Addresses.OPENED : Addresses.CLOSED;
      String id = i == 2_301 ? "session-closed-late" : i == 2_302 ? "session-opened" : "other-" + i;
      entries.add(
          new JsonObject()
              .put("address", address)
              .put("body", new JsonObject().put("sessionId", id)));
    }
    log.append(entries);

    // when
    Set<String> found =
        LoggedCloses.among(log, Set.of("session-closed-late", "session-opened", "never-logged"))
            .result();

    // then
    assertThat(found).containsExactly("session-closed-late");
  }

  /** Verifies that without a log (standalone) nothing is found and nothing is read. */
  @Test
  void noLogFindsNothing() {
    assertThat(LoggedCloses.among(null, Set.of("any")).result()).isEmpty();
  }
}
