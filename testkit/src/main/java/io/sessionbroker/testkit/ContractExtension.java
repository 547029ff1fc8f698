package io.sessionbroker.testkit;

import io.sessionbroker.cluster.CloseReason;
import java.lang.reflect.AnnotatedElement;
import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.AfterTestExecutionCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Runs the {@link EventContract} check around every test of a module that has the testkit on its
 * test class path: JUnit registers it by itself ({@code
 * junit.jupiter.extensions.autodetection.enabled} in the testkit's {@code
 * junit-platform.properties}), so no test can forget it.
 *
 * <p>Before each test it makes the test the current {@link Scope} (its name and its {@link
 * ExpectCloses}); after the test's body it marks the scope's teardown; after the test's own
 * {@code @AfterEach} it waits for the events of every broker still running and fails the test with
 * the violations that belong to it. A fixture closed by the test fails in its own {@code close()}.
 */
public final class ContractExtension
    implements BeforeEachCallback, AfterTestExecutionCallback, AfterEachCallback {

  /** The test that is running: what it expects, and whether its body has ended. */
  public static final class Scope {
    private final String name;
    private final Set<CloseReason> expected;
    private final long extraLatenessMs;
    private volatile boolean bodyDone;

    Scope(String name, Set<CloseReason> expected, long extraLatenessMs) {
      this.name = name;
      this.expected = expected;
      this.extraLatenessMs = extraLatenessMs;
    }

    public String name() {
      return name;
    }

    boolean expects(CloseReason reason) {
      return expected.contains(reason);
    }

    long extraLatenessMs() {
      return extraLatenessMs;
    }

    boolean bodyDone() {
      return bodyDone;
    }
  }

  private static volatile Scope current;

  /** The running test, or null between tests (class-level setup and teardown). */
  static Scope current() {
    return current;
  }

  @Override
  public void beforeEach(ExtensionContext context) {
    Optional<ExpectCloses> expectation =
        find(context.getRequiredTestMethod()).or(() -> find(context.getRequiredTestClass()));
    Set<CloseReason> expected = EnumSet.noneOf(CloseReason.class);
    expectation.ifPresent(e -> expected.addAll(Set.of(e.value())));
    current =
        new Scope(
            context.getRequiredTestClass().getSimpleName() + "." + context.getDisplayName(),
            expected,
            expectation.map(ExpectCloses::extraLatenessMs).orElse(0L));
  }

  @Override
  public void afterTestExecution(ExtensionContext context) {
    Scope scope = current;
    if (scope != null) {
      scope.bodyDone = true;
    }
  }

  @Override
  public void afterEach(ExtensionContext context) throws Exception {
    Scope scope = current;
    AssertionError broken = null;
    try {
      for (EventContract contract : EventContract.active()) {
        try {
          contract.check(scope);
        } catch (AssertionError e) {
          if (broken == null) {
            broken = e;
          } else {
            broken.addSuppressed(e);
          }
        }
      }
    } finally {
      current = null;
    }
    if (broken != null) {
      throw broken;
    }
  }

  private static Optional<ExpectCloses> find(AnnotatedElement element) {
    for (Class<?> type = element instanceof Class<?> c ? c : null;
        type != null;
        type = type.getEnclosingClass()) {
      ExpectCloses found = type.getAnnotation(ExpectCloses.class);
      if (found != null) {
        return Optional.of(found);
      }
    }
    return Optional.ofNullable(element.getAnnotation(ExpectCloses.class));
  }
}
