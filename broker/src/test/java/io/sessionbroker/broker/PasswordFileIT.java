package io.sessionbroker.broker;

import static io.sessionbroker.cluster.CloseReason.CLIENT_CLOSED;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.sessionbroker.cluster.Addresses;
import io.sessionbroker.testkit.ExpectCloses;
import io.sessionbroker.testkit.TcpDevice;
import io.sessionbroker.transports.TransportName;
import io.sessionbroker.transports.auth.PasswordHash;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Verifies {@code auth.passwordFile} with real clients on every transport: Paho 3.1.1 and 5,
 * mosquitto_pub {@code -u -P}, raw TCP and UDP hellos with {@code user}/{@code password}, the JDK
 * WebSocket client with {@code Authorization: Basic}; wrong credentials answered after {@code
 * auth.failureDelayMs} with a rate-limited {@code sessions.rejected}; the file re-read when it
 * changes.
 */
@Timeout(120)
class PasswordFileIT {

  private static final Path PUB = Path.of("/usr/bin/mosquitto_pub");
  private static final long DELAY_MS = 400;
  private static final Duration WAIT = BrokerHarness.WAIT;

  @TempDir Path dir;

  private Path passwords;

  /** PBKDF2 rounds of the passwords {@link #writeUsers} hashes: few, to keep tests fast. */
  private int rounds = 1_000;

  private BrokerHarness start(String... users) throws Exception {
    passwords = dir.resolve("passwords");
    writeUsers(users);
    return BrokerHarness.start(
        conf ->
            conf.getJsonObject("auth")
                .put("passwordFile", passwords.toString())
                .put("reloadCheckMs", 100)
                .put("failureDelayMs", (int) DELAY_MS));
  }

  /** {@code user, password, user, password, ...}, hashed with {@link #rounds} rounds. */
  private void writeUsers(String... users) throws Exception {
    StringBuilder lines = new StringBuilder();
    for (int i = 0; i < users.length; i += 2) {
      lines
          .append(users[i])
          .append(':')
          .append(PasswordHash.create(users[i + 1], rounds, new SecureRandom()).encode())
          .append('\n');
    }
    Path next = dir.resolve("passwords.new");
    Files.writeString(next, lines);
    Files.move(next, passwords, StandardCopyOption.REPLACE_EXISTING);
  }

  /**
   * Verifies that an MQTT client that hangs up while its password is still being checked gets no
   * session, and that the same client id connecting again right after holds the only one.
   * vertx-mqtt takes the socket's close handler over as it reads the CONNECT; a link that listened
   * only from the CONNACK on did not hear the hang-up, opened a session on the closed endpoint (an
   * ERROR, "MQTT endpoint is closed") and kept it until its keep-alive ran out — here the second
   * connection took it over, {@code TAKEN_OVER}, instead of the device's own close coming first.
   */
  @Test
  @ExpectCloses(CLIENT_CLOSED)
  void anMqttClientGoneWhileItsPasswordIsCheckedGetsNoSession() throws Exception {
    rounds = 200_000; // a check of tens of milliseconds on the worker pool: the hang-up comes first
    try (BrokerHarness harness = start("alice", "wonder land")) {
      int port = harness.broker.port(TransportName.MQTT);

      // given a client that sends its CONNECT and hangs up at once
      try (Socket gone = new Socket("127.0.0.1", port)) {
        gone.getOutputStream().write(connect311("pw-gone-1", "alice", "wonder land"));
        gone.getOutputStream().flush();
      }

      // when the same client id connects again, and later disconnects
      MqttClient again =
          new MqttClient("tcp://127.0.0.1:" + port, "pw-gone-1", new MemoryPersistence());
      again.connect(v3Options("alice", "wonder land"));
      harness.await(Addresses.OPENED, "pw-gone-1");
      again.disconnect();

      // then the device's first close is its own: no session of the first connection was taken over
      assertThat(harness.await(Addresses.CLOSED, "pw-gone-1").getString("reason"))
          .isEqualTo(CLIENT_CLOSED.name());
    }
  }

  /** An MQTT 3.1.1 CONNECT (§3.1) with clean session, keep-alive 60 s, a user and a password. */
  private static byte[] connect311(String clientId, String user, String password) {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    body.writeBytes(new byte[] {0, 4, 'M', 'Q', 'T', 'T', 4, (byte) 0xC2, 0, 60});
    for (String field : new String[] {clientId, user, password}) {
      byte[] bytes = field.getBytes(StandardCharsets.UTF_8);
      body.write(bytes.length >> 8);
      body.write(bytes.length & 0xFF);
      body.writeBytes(bytes);
    }
    ByteArrayOutputStream packet = new ByteArrayOutputStream();
    packet.write(0x10);
    packet.write(body.size()); // under 128: one byte of Remaining Length
    packet.writeBytes(body.toByteArray());
    return packet.toByteArray();
  }

  /**
   * Verifies that Paho 3.1.1 and 5 log in with a user's password, and that a wrong one gets CONNACK
   * 0x05 Not Authorized (3.1.1 §3.2.2.3: 0x04 is for malformed data) or 0x86 Bad User Name or
   * Password (5 §3.2.2.2) no sooner than auth.failureDelayMs, with a {@code sessions.rejected}
   * saying why.
   */
  @Test
  @ExpectCloses(CLIENT_CLOSED)
  void pahoThreeAndFiveLogInWithAPasswordAndAreRefusedAfterTheDelayWithAWrongOne()
      throws Exception {
    try (BrokerHarness harness = start("alice", "wonder land")) {
      String url = "tcp://127.0.0.1:" + harness.broker.port(TransportName.MQTT);

      // when Paho 3.1.1 and 5 connect with alice's password
      MqttClient v3 = new MqttClient(url, "pw-v3-1", new MemoryPersistence());
      v3.connect(v3Options("alice", "wonder land"));
      var v5 = new org.eclipse.paho.mqttv5.client.MqttClient(url, "pw-v5-1", null);
      v5.connect(v5Options("alice", "wonder land"));

      // then both hold a session
      harness.await(Addresses.OPENED, "pw-v3-1");
      harness.await(Addresses.OPENED, "pw-v5-1");
      v3.disconnect();
      v5.disconnect();
      harness.await(Addresses.CLOSED, "pw-v3-1");
      harness.await(Addresses.CLOSED, "pw-v5-1");

      // when they try a wrong password
      MqttClient wrong3 = new MqttClient(url, "pw-v3-2", new MemoryPersistence());
      long start = System.nanoTime();
      assertThatThrownBy(() -> wrong3.connect(v3Options("alice", "wonderland")))
          .isInstanceOfSatisfying(
              MqttException.class,
              e ->
                  assertThat(e.getReasonCode())
                      .isEqualTo(MqttException.REASON_CODE_NOT_AUTHORIZED));
      long v3Ms = (System.nanoTime() - start) / 1_000_000;
      var wrong5 = new org.eclipse.paho.mqttv5.client.MqttClient(url, "pw-v5-2", null);
      start = System.nanoTime();
      assertThatThrownBy(() -> wrong5.connect(v5Options("alice", "wonderland")))
          .isInstanceOfSatisfying(
              org.eclipse.paho.mqttv5.common.MqttException.class,
              e -> assertThat(e.getReasonCode()).isEqualTo(0x86));
      long v5Ms = (System.nanoTime() - start) / 1_000_000;

      // then the answer took the failure delay, and the back end learns why
      assertThat(v3Ms).isGreaterThanOrEqualTo(DELAY_MS);
      assertThat(v5Ms).isGreaterThanOrEqualTo(DELAY_MS);
      JsonObject rejected = harness.await(Addresses.REJECTED, "pw-v3-2");
      assertThat(rejected.getString("code")).isEqualTo("auth_failed");
      assertThat(rejected.getString("message")).isEqualTo("wrong password for user alice");
      assertThat(harness.await(Addresses.REJECTED, "pw-v5-2").getString("message"))
          .isEqualTo("wrong password for user alice");
    }
  }

  /** Verifies that mosquitto_pub {@code -u -P} logs in, and is told "not authorised" otherwise. */
  @Test
  @ExpectCloses(CLIENT_CLOSED)
  void mosquittoPubLogsInWithAUserAndPassword() throws Exception {
    assumeTrue(
        Files.isExecutable(PUB),
        "mosquitto-clients not installed: apt-get install mosquitto-clients");
    try (BrokerHarness harness = start("bob", "b0b")) {
      String port = String.valueOf(harness.broker.port(TransportName.MQTT));

      Process right = pub(port, "pw-pub-1", "bob", "b0b");
      Process wrong = pub(port, "pw-pub-2", "bob", "bob");
      Process unknown = pub(port, "pw-pub-3", "mallory", "b0b");

      assertThat(exit(right)).isEqualTo("0");
      harness.await(Addresses.CLOSED, "pw-pub-1");
      assertThat(exit(wrong)).isEqualTo("5").as("CONNACK 5, not authorised");
      assertThat(exit(unknown)).isEqualTo("5");
      assertThat(harness.await(Addresses.REJECTED, "pw-pub-3").getString("message"))
          .isEqualTo("unknown user mallory");
    }
  }

  /**
   * Verifies the hello's {@code user} and {@code password} fields on raw TCP and UDP, and {@code
   * Authorization: Basic} on a WebSocket upgrade (RFC 7617).
   */
  @Test
  @ExpectCloses(CLIENT_CLOSED)
  void helloCredentialsWorkOnTcpUdpAndWebSocket() throws Exception {
    try (BrokerHarness harness = start("carol", "c4rol")) {
      // raw TCP: right, then wrong (refused after the delay, told only that it failed)
      try (TcpDevice device = harness.tcpDevice()) {
        device.send(hello("pw-tcp-1").put("user", "carol").put("password", "c4rol"));
        assertThat(device.read(WAIT).getString("type")).isEqualTo("welcome");
        device.send(new JsonObject().put("type", "bye"));
        harness.await(Addresses.CLOSED, "pw-tcp-1");
      }
      try (TcpDevice device = harness.tcpDevice()) {
        long start = System.nanoTime();
        device.send(hello("pw-tcp-2").put("user", "carol").put("password", "carol"));
        JsonObject error = device.read(WAIT);
        assertThat((System.nanoTime() - start) / 1_000_000).isGreaterThanOrEqualTo(DELAY_MS);
        assertThat(error.getString("code")).isEqualTo("auth_failed");
        assertThat(error.getString("message"))
            .isEqualTo("the credentials do not authenticate device pw-tcp-2");
        assertThat(harness.await(Addresses.REJECTED, "pw-tcp-2").getString("message"))
            .isEqualTo("wrong password for user carol");
      }

      // UDP: right gets a welcome; wrong gets nothing, and a rejection
      try (DatagramSocket udp =
          new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
        udp.setSoTimeout((int) WAIT.toMillis());
        InetSocketAddress broker =
            new InetSocketAddress(
                InetAddress.getLoopbackAddress(), harness.broker.port(TransportName.UDP));
        send(udp, broker, udpHello("pw-udp-1").put("user", "carol").put("password", "c4rol"));
        JsonObject welcome = receive(udp);
        assertThat(welcome.getString("type")).isEqualTo("welcome");
        send(
            udp,
            broker,
            new JsonObject()
                .put("type", "bye")
                .put("device", "pw-udp-1")
                .put("ticket", welcome.getString("ticket")));
        harness.await(Addresses.CLOSED, "pw-udp-1");
        send(udp, broker, udpHello("pw-udp-2").put("user", "carol").put("password", "nope"));
        assertThat(harness.await(Addresses.REJECTED, "pw-udp-2").getString("message"))
            .isEqualTo("wrong password for user carol");
        udp.setSoTimeout(500);
        assertThatThrownBy(() -> receive(udp)).isInstanceOf(SocketTimeoutException.class);
      }

      // WebSocket: the hello in the upgrade, the credentials in Authorization: Basic
      CompletableFuture<String> first = new CompletableFuture<>();
      WebSocket ws =
          HttpClient.newHttpClient()
              .newWebSocketBuilder()
              .header(
                  "Authorization",
                  "Basic "
                      + Base64.getEncoder()
                          .encodeToString("carol:c4rol".getBytes(StandardCharsets.UTF_8)))
              .buildAsync(
                  URI.create(
                      "ws://127.0.0.1:"
                          + harness.broker.port(TransportName.WEBSOCKET)
                          + "/devices?device=pw-ws-1&heartbeat=30"),
                  new WebSocket.Listener() {
                    @Override
                    public CompletionStage<?> onText(
                        WebSocket socket, CharSequence data, boolean last) {
                      first.complete(data.toString());
                      return null;
                    }
                  })
              .get(10, TimeUnit.SECONDS);
      assertThat(new JsonObject(first.get(10, TimeUnit.SECONDS)).getString("type"))
          .isEqualTo("welcome");
      ws.sendText("{\"type\":\"bye\"}", true);
      harness.await(Addresses.CLOSED, "pw-ws-1");
    }
  }

  /**
   * Verifies that a changed password file is re-read without a restart: a user added by renaming a
   * new file over it logs in, a user removed no longer does.
   */
  @Test
  @ExpectCloses(CLIENT_CLOSED)
  void aChangedFileIsReadAgainWithoutARestart() throws Exception {
    try (BrokerHarness harness = start("dave", "d")) {
      assertThat(tcpLogin(harness, "pw-reload-0", "dave", "d")).isEqualTo("welcome");

      // when erin replaces dave
      writeUsers("erin", "e");

      // then within a few checks erin gets in, and dave no longer does
      Awaitility.await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> "welcome".equals(tcpLogin(harness, "pw-reload-1", "erin", "e")));
      assertThat(tcpLogin(harness, "pw-reload-2", "dave", "d")).isEqualTo("error");
    }
  }

  /**
   * Verifies that failed credentials publish at most auth.failureEventsPerSecond rejections a
   * second, count the others, and say how many were held back.
   */
  @Test
  void failedLoginsBeyondTheRateLimitAreCountedNotPublished() throws Exception {
    passwords = dir.resolve("passwords");
    writeUsers("frank", "f");
    try (BrokerHarness harness =
        BrokerHarness.start(
            conf ->
                conf.getJsonObject("auth")
                    .put("passwordFile", passwords.toString())
                    .put("failureDelayMs", 0)
                    .put("failureEventsPerSecond", 1))) {
      // when five wrong logins come within a second (or within two, on a slow machine)
      for (int i = 1; i <= 5; i++) {
        assertThat(tcpLogin(harness, "pw-flood-" + i, "frank", "wrong")).isEqualTo("error");
      }

      // then the first is published, and most of the others are counted instead
      assertThat(harness.await(Addresses.REJECTED, "pw-flood-1").getString("code"))
          .isEqualTo("auth_failed");
      assertThat(harness.broker.config().auth().failureEventsSuppressed())
          .isGreaterThanOrEqualTo(3);
    }
  }

  /** One raw TCP hello with these credentials: the answer's type; a welcome is said bye to. */
  private static String tcpLogin(BrokerHarness harness, String device, String user, String pw)
      throws Exception {
    try (TcpDevice tcp = harness.tcpDevice()) {
      tcp.send(hello(device).put("user", user).put("password", pw));
      String type = tcp.read(WAIT).getString("type");
      if (type.equals("welcome")) {
        tcp.send(new JsonObject().put("type", "bye"));
        harness.await(Addresses.CLOSED, device);
      }
      return type;
    }
  }

  private static JsonObject hello(String device) {
    return new JsonObject().put("type", "hello").put("device", device).put("heartbeat", 30);
  }

  private static JsonObject udpHello(String device) {
    return hello(device).put("nonce", "n1").put("pad", "x".repeat(200));
  }

  private static void send(DatagramSocket socket, InetSocketAddress to, JsonObject frame)
      throws Exception {
    byte[] bytes = frame.encode().getBytes(StandardCharsets.UTF_8);
    socket.send(new DatagramPacket(bytes, bytes.length, to));
  }

  private static JsonObject receive(DatagramSocket socket) throws Exception {
    DatagramPacket packet = new DatagramPacket(new byte[2048], 2048);
    socket.receive(packet);
    return new JsonObject(
        new String(packet.getData(), 0, packet.getLength(), StandardCharsets.UTF_8));
  }

  private static MqttConnectOptions v3Options(String user, String password) {
    MqttConnectOptions options = new MqttConnectOptions();
    options.setUserName(user);
    options.setPassword(password.toCharArray());
    options.setMqttVersion(MqttConnectOptions.MQTT_VERSION_3_1_1);
    return options;
  }

  private static MqttConnectionOptions v5Options(String user, String password) {
    MqttConnectionOptions options = new MqttConnectionOptions();
    options.setUserName(user);
    options.setPassword(password.getBytes(StandardCharsets.UTF_8));
    return options;
  }

  private static Process pub(String port, String clientId, String user, String password)
      throws Exception {
    return new ProcessBuilder(
            PUB.toString(),
            "-h",
            "127.0.0.1",
            "-p",
            port,
            "-i",
            clientId,
            "-u",
            user,
            "-P",
            password,
            "-t",
            "devices/" + clientId,
            "-m",
            "1",
            "-V",
            "mqttv311")
        .redirectErrorStream(true)
        .start();
  }

  private static String exit(Process process) throws Exception {
    process.getInputStream().readAllBytes();
    assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
    return String.valueOf(process.exitValue());
  }
}
