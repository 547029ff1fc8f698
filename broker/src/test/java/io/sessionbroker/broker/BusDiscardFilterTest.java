package io.sessionbroker.broker;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Verifies that Vert.x's one-WARN-per-message about deliveries to a consumer that has gone away is
 * cut to one line per window with a count of the rest, and that nothing else is touched.
 */
class BusDiscardFilterTest {

  private static final String DISCARD = BusDiscardFilter.DISCARDING + ". address: sessions.closed";

  /** Verifies that the shipped logback.xml installs the filter: a flood leaves one line. */
  @Test
  void theShippedLogConfigurationLogsOneLineOfAFlood() throws Exception {
    // given a logger context configured from the broker's own logback.xml
    LoggerContext context = new LoggerContext();
    JoranConfigurator configurator = new JoranConfigurator();
    configurator.setContext(context);
    configurator.doConfigure(getClass().getResource("/logback.xml"));
    ListAppender<ILoggingEvent> seen = record(context);

    // when Vert.x discards 1,000 deliveries to an unregistered consumer
    Logger vertx = context.getLogger(BusDiscardFilter.VERTX_LOGGER);
    for (int i = 0; i < 1_000; i++) {
      vertx.warn(DISCARD);
    }

    // then one line is logged
    assertThat(messages(seen)).containsExactly(DISCARD);
    context.stop();
  }

  /**
   * Verifies that the first discard of the next window brings the count of those not logged, and
   * that other lines of the same logger and other loggers pass.
   */
  @Test
  void theNextWindowSaysHowManyWereNotLogged() {
    // given a context with the filter on a clock the test moves
    AtomicLong nanos = new AtomicLong(1_000);
    LoggerContext context = new LoggerContext();
    BusDiscardFilter filter = new BusDiscardFilter(nanos::get);
    filter.setContext(context);
    filter.start();
    context.addTurboFilter(filter);
    ListAppender<ILoggingEvent> seen = record(context);
    Logger vertx = context.getLogger(BusDiscardFilter.VERTX_LOGGER);

    // when 5 discards come in one window, a full consumer's warning and a broker line among them
    for (int i = 0; i < 5; i++) {
      vertx.warn(DISCARD);
    }
    vertx.warn("Discarding message since the consumer buffer is full: 1000. address: x");
    context.getLogger("io.sessionbroker.broker.Broker").warn("node_lost node={}", "n1");
    // and one more after the window
    nanos.addAndGet(BusDiscardFilter.WINDOW_NANOS);
    vertx.warn(DISCARD);

    // then the first and the last discard are logged, the count of the 4 between, and the rest
    assertThat(messages(seen))
        .containsExactly(
            DISCARD,
            "Discarding message since the consumer buffer is full: 1000. address: x",
            "node_lost node=n1",
            "bus_discards_not_logged count=4 window_s=10",
            DISCARD);
    context.stop();
  }

  private static ListAppender<ILoggingEvent> record(LoggerContext context) {
    ListAppender<ILoggingEvent> seen = new ListAppender<>();
    seen.setContext(context);
    seen.start();
    Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
    root.detachAndStopAllAppenders();
    root.addAppender(seen);
    return seen;
  }

  private static List<String> messages(ListAppender<ILoggingEvent> seen) {
    return seen.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
  }
}
