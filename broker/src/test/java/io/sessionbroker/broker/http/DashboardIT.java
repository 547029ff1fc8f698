package io.sessionbroker.broker.http;

import static io.sessionbroker.cluster.CloseReason.KICKED;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.sessionbroker.broker.BrokerHarness;
import io.sessionbroker.cluster.Addresses;
import io.sessionbroker.testkit.ExpectCloses;
import io.sessionbroker.testkit.TcpDevice;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.openqa.selenium.By;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * Verifies the dashboard in a real headless browser (Debian's chromium through chromium-driver,
 * installed by .ci/run): a device that connects appears in the session table and the event list,
 * and the page's kick button closes it with {@code KICKED}. Skipped, with a message, where chromium
 * or its driver is missing.
 */
@Timeout(120)
class DashboardIT {

  private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  private static final Path DRIVER = Path.of("/usr/bin/chromedriver");
  private static BrokerHarness harness;
  private static WebDriver browser;

  @BeforeAll
  static void start() throws Exception {
    assumeTrue(
        Files.isExecutable(CHROMIUM) && Files.isExecutable(DRIVER),
        "chromium and chromium-driver are not installed (apt-get install chromium chromium-driver)");
    harness = BrokerHarness.start();
    ChromeOptions options =
        new ChromeOptions()
            .setBinary(CHROMIUM.toString())
            .addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage");
    ChromeDriverService service =
        new ChromeDriverService.Builder().usingDriverExecutable(DRIVER.toFile()).build();
    browser = new ChromeDriver(service, options);
  }

  @AfterAll
  static void stop() throws Exception {
    if (browser != null) {
      browser.quit();
    }
    if (harness != null) {
      harness.close();
    }
  }

  @Test
  @ExpectCloses(KICKED)
  void aDeviceThatConnectsAppearsAndTheKickButtonClosesIt() throws Exception {
    // given: the dashboard open and live
    browser.get("http://127.0.0.1:" + harness.broker.httpPort() + "/");
    WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(15));
    wait.until(ExpectedConditions.textToBe(By.id("connection"), "live"));

    try (TcpDevice device = harness.tcpDevice()) {
      // when: a device connects
      device.hello("dash-device-1", 30);
      harness.await(Addresses.OPENED, "dash-device-1");

      // then: it appears in the session table and the event list
      By row = By.cssSelector("#sessions tr[data-device='dash-device-1']");
      wait.until(ExpectedConditions.presenceOfElementLocated(row));
      wait.until(
          ExpectedConditions.textToBePresentInElementLocated(By.id("events"), "dash-device-1"));
      assertThat(browser.findElement(row).getText()).contains("tcp");

      // when: the operator kicks it from the page
      browser.findElement(row).findElement(By.cssSelector("button.kick")).click();

      // then: the broker closes it with KICKED, and the page shows it gone
      assertThat(harness.await(Addresses.CLOSED, "dash-device-1").getString("reason"))
          .isEqualTo("KICKED");
      assertThat(device.closedByBroker(Duration.ofSeconds(5))).isTrue();
      wait.until(ExpectedConditions.numberOfElementsToBe(row, 0));
      wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("events"), "KICKED"));
    }
  }
}
