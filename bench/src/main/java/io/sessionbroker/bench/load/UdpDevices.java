package io.sessionbroker.bench.load;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;

/**
 * The UDP side of a {@link Worker}. UDP devices hold no socket of their own: they share a few local
 * datagram sockets ({@code --udp-sockets}), device {@code i} sending from socket {@code i mod n},
 * always the same one (a new source address would be NAT rebinding to the broker). Replies are
 * matched to devices by what they carry: the welcome echoes the hello's nonce (which names the
 * device), the broker's {@code bye} names the session; pongs are only counted.
 */
final class UdpDevices {

  /** What the worker does with a device whose state changed here. */
  interface Outcomes {
    void opened(Device d, long timeoutMs);

    void closed(Device d);

    void failed(Device d, Exception e);

    /** Whether the silent share has gone silent (a {@code bye} then marks the end of its wait). */
    boolean silenced();
  }

  private final LoadOptions o;
  private final List<Device> devices;
  private final Counters counters;
  private final Outcomes outcomes;
  private final ByteBuffer datagram = ByteBuffer.allocate(2048);

  /** Devices awaiting their welcome, by when their hello is to be sent again. */
  private final PriorityQueue<Device> hellosInFlight =
      new PriorityQueue<>((a, b) -> Long.compare(a.helloAgainNanos, b.helloAgainNanos));

  private final Map<String, Device> bySession = new HashMap<>();
  private DatagramChannel[] sockets = new DatagramChannel[0];

  UdpDevices(LoadOptions o, List<Device> devices, Counters counters, Outcomes outcomes) {
    this.o = o;
    this.devices = devices;
    this.counters = counters;
    this.outcomes = outcomes;
  }

  /**
   * Opens the shared sockets, registered with {@code selector} (the channel is the key's
   * attachment).
   */
  void open(Selector selector) throws IOException {
    int udpDevices = (int) devices.stream().filter(d -> d.transport == Transport.UDP).count();
    if (udpDevices == 0) {
      return;
    }
    sockets = new DatagramChannel[Math.min(o.udpSockets(), udpDevices)];
    InetSocketAddress broker = new InetSocketAddress(o.host(), o.udpPort());
    for (int i = 0; i < sockets.length; i++) {
      DatagramChannel c = DatagramChannel.open();
      c.configureBlocking(false);
      // a burst of welcomes or pongs must not overflow the default ~200 KiB (capped by
      // net.core.rmem_max)
      c.setOption(StandardSocketOptions.SO_RCVBUF, 4 << 20);
      c.setOption(StandardSocketOptions.SO_SNDBUF, 1 << 20);
      c.connect(broker);
      c.register(selector, SelectionKey.OP_READ, c);
      sockets[i] = c;
    }
  }

  boolean inUse() {
    return sockets.length > 0;
  }

  /** Starts a device's handshake: its socket, then its first hello. */
  void start(Device d) {
    d.udpSocket = d.index % sockets.length;
    d.state = Device.State.HANDSHAKE;
    d.lastSentNanos = d.startNanos; // the broker counts the session's life from the (first) hello
    sendHello(d);
  }

  private void sendHello(Device d) {
    d.hellos++;
    d.helloAgainNanos = System.nanoTime() + Devices.helloBackoffNanos(d.hellos);
    hellosInFlight.add(d);
    try {
      if (sockets[d.udpSocket].write(Wire.udpHello(d.id, Wire.udpNonce(d.index), o.heartbeatMs()))
          == 0) {
        counters.udpSendFull++; // sent again after a second, as a lost one would be
      }
    } catch (IOException e) {
      outcomes.failed(d, e);
    }
  }

  /**
   * An unanswered hello is sent again, same nonce (the broker repeats its welcome), after 1, 2, 4
   * and 8 s: a broker stalled for a quarter of a minute under a connect storm loses no device; 5
   * hellos in all.
   */
  void helloAgain(long now) {
    while (!hellosInFlight.isEmpty()) {
      Device d = hellosInFlight.peek();
      if (d.state != Device.State.HANDSHAKE) {
        hellosInFlight.poll();
      } else if (now < d.helloAgainNanos) {
        return;
      } else {
        hellosInFlight.poll();
        if (d.hellos >= Devices.MAX_HELLOS) {
          outcomes.failed(d, new IOException("no welcome after " + d.hellos + " hellos"));
        } else {
          counters.udpHelloRetries++;
          sendHello(d);
        }
      }
    }
  }

  /** Reads every datagram waiting on {@code channel}. */
  void receive(DatagramChannel channel) {
    while (true) {
      datagram.clear();
      try {
        if (channel.receive(datagram) == null) {
          return;
        }
      } catch (IOException e) {
        counters.udpUnknown++; // e.g. ICMP port unreachable while the broker is down
        return;
      }
      Wire.UdpReply reply = Wire.udpReply(datagram.array(), datagram.position());
      if (reply == null) {
        counters.udpUnknown++;
      } else if ("pong".equals(reply.type())) {
        counters.udpPongs++;
      } else if ("welcome".equals(reply.type())) {
        welcomed(reply);
      } else if ("bye".equals(reply.type())) {
        ended(reply);
      } else if ("command".equals(reply.type()) && o.commands().answer()) {
        answer(channel, datagram.array(), datagram.position());
      } else {
        counters.udpUnknown++;
        if (counters.firstFailure == null) {
          counters.firstFailure = "udp: unexpected " + reply;
        }
      }
    }
  }

  private void welcomed(Wire.UdpReply reply) {
    int at = Wire.udpNonceIndex(reply.nonce()) - o.first();
    if (at < 0 || at >= devices.size() || reply.ticket() == null || reply.timeoutMs() < 0) {
      counters.udpUnknown++;
      return;
    }
    Device d = devices.get(at);
    if (d.state != Device.State.HANDSHAKE) {
      return; // the answer to a hello sent again, after the first welcome
    }
    d.ticket = reply.ticket();
    d.session = reply.session();
    bySession.put(d.session, d);
    outcomes.opened(d, reply.timeoutMs());
  }

  private void ended(Wire.UdpReply bye) {
    Device d = bySession.remove(bye.session());
    if (d != null && d.state == Device.State.OPEN && bye.session().equals(d.session)) {
      if (outcomes.silenced() && d.silent) {
        d.byeNanos = System.nanoTime();
      }
      outcomes.closed(d);
    }
  }

  /**
   * Answers a command. The shared socket does not tell which device it is for: the command mode's
   * payload names it ({@code {"d": deviceId}}); a command without one is answered by no one.
   */
  private void answer(DatagramChannel channel, byte[] bytes, int length) {
    io.vertx.core.json.JsonObject command =
        new io.vertx.core.json.JsonObject(
            new String(bytes, 0, length, java.nio.charset.StandardCharsets.UTF_8));
    String id =
        command.getValue("payload") instanceof io.vertx.core.json.JsonObject p
            ? p.getString("d")
            : null;
    int at = -1;
    if (id != null && id.startsWith(o.prefix())) {
      try {
        at = Integer.parseInt(id.substring(o.prefix().length())) - o.first();
      } catch (NumberFormatException e) {
        at = -1;
      }
    }
    if (at < 0 || at >= devices.size() || devices.get(at).ticket == null) {
      counters.udpUnknown++;
      return;
    }
    Device d = devices.get(at);
    String reply =
        new io.vertx.core.json.JsonObject()
            .put("type", "reply")
            .put("device", d.id)
            .put("ticket", d.ticket)
            .put("id", command.getString("id"))
            .put("status", 200)
            .put("payload", command.getValue("payload"))
            .encode();
    try {
      if (sockets[d.udpSocket].write(
              ByteBuffer.wrap(reply.getBytes(java.nio.charset.StandardCharsets.UTF_8)))
          == 0) {
        counters.udpSendFull++; // the broker sends the command again
      } else {
        counters.commandsAnswered++;
      }
    } catch (IOException e) {
      counters.udpSendFull++;
    }
  }

  /** Sends a heartbeat; false when the socket's send buffer was full or the send failed. */
  boolean ping(Device d) {
    try {
      if (sockets[d.udpSocket].write(Wire.udpPing(d.id, d.ticket)) == 0) {
        counters.udpSendFull++; // not sent: the session may time out, which the report then shows
        return false;
      }
      return true;
    } catch (IOException e) {
      counters.udpSendFull++;
      return false;
    }
  }

  /** Closes the shared sockets; sessions still open (and not silent) say {@code bye} first. */
  void close() {
    for (Device d : devices) {
      if (d.transport == Transport.UDP && d.state == Device.State.OPEN && !d.silent) {
        try {
          sockets[d.udpSocket].write(Wire.udpBye(d.id, d.ticket));
        } catch (IOException ignored) {
          // the session times out instead
        }
      }
    }
    for (DatagramChannel c : sockets) {
      try {
        c.close();
      } catch (IOException ignored) {
        // closing: nothing to do
      }
    }
  }
}
