package io.sessionbroker.transports.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Verifies the password file: Mosquitto 2's {@code $7$} format both ways (against the real {@code
 * mosquitto_passwd}), the check, its cache, and the errors a bad file gives.
 */
class PasswordFileTest {

  private static final Path MOSQUITTO_PASSWD = Path.of("/usr/bin/mosquitto_passwd");
  private static final Path FILE = Path.of("passwords");

  @TempDir Path dir;

  @Test
  void aHashMatchesItsPasswordOnlyAndSurvivesItsTextForm() {
    // given
    PasswordHash hash = PasswordHash.create("s3cret", 1_000, new SecureRandom());

    // when
    PasswordHash read = PasswordHash.parse(hash.encode());

    // then
    assertThat(read).isEqualTo(hash);
    assertThat(hash.encode()).startsWith("$7$1000$");
    assertThat(read.matches("s3cret")).isTrue();
    assertThat(read.matches("s3cret ")).isFalse();
    assertThat(read.matches("")).isFalse();
  }

  /** Verifies that a file mosquitto_passwd writes is read here, with its users' passwords. */
  @Test
  void aFileWrittenByMosquittoPasswdAuthenticatesItsUsers() throws Exception {
    assumeTrue(
        Files.isExecutable(MOSQUITTO_PASSWD),
        "mosquitto_passwd not installed: apt-get install mosquitto");
    // given a file of two users, one with Mosquitto's default 101 iterations, one with 2000
    Path file = dir.resolve("mosquitto.pw");
    Files.createFile(file);
    run(MOSQUITTO_PASSWD.toString(), "-b", file.toString(), "alice", "wonder land");
    run(MOSQUITTO_PASSWD.toString(), "-I", "2000", "-b", file.toString(), "bob", "bü€r");

    // when
    PasswordFile passwords = PasswordFile.read(file);

    // then
    assertThat(passwords.size()).isEqualTo(2);
    assertThat(passwords.matches("alice", "wonder land")).isTrue();
    assertThat(passwords.matches("bob", "bü€r")).as("UTF-8 passwords").isTrue();
    assertThat(passwords.matches("alice", "wonderland")).isFalse();
    assertThat(passwords.matches("carol", "wonder land")).isFalse();
  }

  /**
   * Verifies that a line written here is one mosquitto_passwd understands: it updates the file
   * keeping our line as it is ({@code -b} rewrites every line it can parse and would fail on one it
   * cannot), and Mosquitto's own check of the password ({@code -U} is refused on hashed lines, so
   * the broker itself is asked: see PasswdCommandIT for mosquitto_pub against a file of ours).
   */
  @Test
  void aLineWrittenHereIsKeptByMosquittoPasswd() throws Exception {
    assumeTrue(
        Files.isExecutable(MOSQUITTO_PASSWD),
        "mosquitto_passwd not installed: apt-get install mosquitto");
    // given a file with one user hashed here
    Path file = dir.resolve("ours.pw");
    String ours = "dave:" + PasswordHash.create("pa55", 5_000, new SecureRandom()).encode();
    Files.writeString(file, ours + "\n");

    // when mosquitto_passwd adds a user to it
    run(MOSQUITTO_PASSWD.toString(), "-b", file.toString(), "erin", "x");

    // then our line is untouched and both users check out
    List<String> lines = Files.readAllLines(file);
    assertThat(lines).contains(ours).hasSize(2);
    PasswordFile passwords = PasswordFile.read(file);
    assertThat(passwords.matches("dave", "pa55")).isTrue();
    assertThat(passwords.matches("erin", "x")).isTrue();
  }

  @Test
  void aBadLineIsNamedByItsNumber() {
    List<String> lines =
        List.of(
            "# users",
            "",
            "alice:" + PasswordHash.create("a", 1, new SecureRandom()).encode(),
            "bob:plaintext");

    assertThatThrownBy(() -> PasswordFile.parse(FILE, lines))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("auth.passwordFile passwords line 4: not a $7$ (PBKDF2-SHA512) hash");
  }

  @Test
  void everyKindOfBadLineSaysWhatIsWrong() {
    assertThat(error("no colon")).endsWith("line 1: expected user:hash");
    assertThat(error(":$7$1$AAAA$AAAA")).endsWith("line 1: expected user:hash");
    assertThat(error("u:$6$abc$def")).contains("$6$ (salted SHA-512, Mosquitto 1.6)");
    assertThat(error("u:$7$many$AAAA$AAAA")).endsWith("iterations is not a number");
    assertThat(error("u:$7$10$AAAA")).endsWith("expected $7$iterations$salt$hash");
    assertThat(error("u:$7$10$!!$AAAA")).contains("bad salt or hash");
    assertThat(error("u:$7$10$AAAA$AAAA")).endsWith("the hash must be 64 bytes, was 3");
    String line = "u:" + PasswordHash.create("a", 1, new SecureRandom()).encode();
    assertThatThrownBy(() -> PasswordFile.parse(FILE, List.of(line, line)))
        .hasMessageEndingWith("line 2: user u appears twice");
  }

  @Test
  void aSecondCheckOfTheSamePasswordIsAnsweredFromTheCacheAndAWrongOneIsNot() {
    // given a user whose password has been checked once
    PasswordFile passwords =
        PasswordFile.parse(
            FILE, List.of("u:" + PasswordHash.create("right", 1_000, new SecureRandom()).encode()));
    assertThat(passwords.cached("u", "right")).isFalse();
    assertThat(passwords.matches("u", "right")).isTrue();

    // then the same password is known without PBKDF2, another one is not
    assertThat(passwords.cached("u", "right")).isTrue();
    assertThat(passwords.cached("u", "wrong")).isFalse();
    assertThat(passwords.matches("u", "wrong")).isFalse();
    assertThat(passwords.matches("u", "right")).isTrue();
  }

  private static String error(String line) {
    try {
      PasswordFile.parse(FILE, List.of(line));
    } catch (IllegalArgumentException e) {
      return e.getMessage();
    }
    throw new AssertionError("accepted " + line);
  }

  private static void run(String... command) throws Exception {
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(process.exitValue())
        .as(new String(process.getInputStream().readAllBytes()))
        .isZero();
  }
}
