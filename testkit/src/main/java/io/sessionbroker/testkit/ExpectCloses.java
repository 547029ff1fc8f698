package io.sessionbroker.testkit;

import io.sessionbroker.cluster.CloseReason;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * The close reasons a test expects its sessions to end with, checked by the {@link EventContract}:
 * a close with any other reason fails the test. On a method it replaces the class's annotation; a
 * test with neither expects no close during its body. Whatever a test expects, its teardown may end
 * what it left open with {@link EventContract#TEARDOWN_REASONS}.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.METHOD, ElementType.TYPE})
public @interface ExpectCloses {

  CloseReason[] value();

  /**
   * Lateness allowed for a {@code TIMEOUT} close beyond one tick and {@link
   * EventContract#TIMEOUT_SLACK_MS}, for a test that expires more sessions at once than one tick
   * evicts ({@code table.maxEvictionsPerTick}).
   */
  long extraLatenessMs() default 0;
}
