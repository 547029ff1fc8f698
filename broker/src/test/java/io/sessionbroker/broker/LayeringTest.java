package io.sessionbroker.broker;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

/**
 * Verifies that the layering of the code (README, "Code map"; DESIGN §2: cluster ← transports ←
 * broker) holds, so {@code mvn verify} fails on a violation instead of a review having to catch it.
 *
 * <p>It lives in the broker module because that is the one module whose class path holds every
 * layer's main classes (cluster, its Hazelcast package, transports, broker): a rule about who may
 * use whom can only be checked where all of them are visible. Test classes are left out: a test may
 * reach across layers to set up a scenario. That cluster uses no transport or broker code needs no
 * rule: Maven refuses the module cycle first.
 */
@AnalyzeClasses(packages = "io.sessionbroker", importOptions = ImportOption.DoNotIncludeTests.class)
class LayeringTest {

  private static final String[] HAZELCAST = {"com.hazelcast..", "io.vertx.spi.cluster.."};

  /**
   * Transports map their protocol to the table and know nothing of how the table is clustered or
   * deployed.
   */
  @ArchTest
  static final ArchRule transportsUseNoHazelcastAndNoBrokerCode =
      noClasses()
          .that()
          .resideInAPackage("io.sessionbroker.transports..")
          .should()
          .dependOnClassesThat()
          .resideInAnyPackage(HAZELCAST)
          .orShould()
          .dependOnClassesThat()
          .resideInAPackage("io.sessionbroker.broker..")
          .because("transports never see a Hazelcast type and sit below the broker (DESIGN §2)");

  /**
   * The table's core is the same standalone and clustered; only {@code cluster.hazelcast} differs.
   * It names the package itself too, which the cycle rule would also catch, with a less direct
   * message.
   */
  @ArchTest
  static final ArchRule tableCoreUsesNoHazelcast =
      noClasses()
          .that()
          .resideInAPackage("io.sessionbroker.cluster")
          .should()
          .dependOnClassesThat()
          .resideInAnyPackage(HAZELCAST)
          .orShould()
          .dependOnClassesThat()
          .resideInAPackage("io.sessionbroker.cluster.hazelcast..")
          .because(
              "standalone and clustered modes share all logic except the directory store (DESIGN §2)");

  /** Every package is a slice; none may reach, through any path, back to itself. */
  @ArchTest
  static final ArchRule noCyclesBetweenPackages =
      slices().matching("io.sessionbroker.(**)").should().beFreeOfCycles();
}
