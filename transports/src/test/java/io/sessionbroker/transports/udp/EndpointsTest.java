package io.sessionbroker.transports.udp;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

class EndpointsTest {

  @Test
  void packsAnIpv4AddressAndPortIntoOneLong() {
    long packed = Endpoints.pack("192.168.1.250", 65_535);

    assertThat(Endpoints.host(packed)).isEqualTo("192.168.1.250");
    assertThat(Endpoints.port(packed)).isEqualTo(65_535);
    assertThat(Endpoints.pack("127.0.0.1", 0)).isNotEqualTo(Endpoints.pack("127.0.0.1", 1));
    assertThat(Endpoints.pack("0.0.0.0", 0)).isZero();
  }

  @Test
  void saysSoForAnythingButAnIpv4Literal() {
    for (String host :
        new String[] {
          "::1",
          "0:0:0:0:0:0:0:1",
          "1.2.3",
          "1.2.3.4.5",
          "256.1.1.1",
          "a.b.c.d",
          "",
          "1..2.3",
          "1.2.3.4 "
        }) {
      assertThat(Endpoints.pack(host, 80)).as(host).isEqualTo(Endpoints.NOT_IPV4);
    }
  }

  @Test
  void formatsIpv6HostsInBrackets() {
    assertThat(Endpoints.format("10.0.0.1", 5683)).isEqualTo("10.0.0.1:5683");
    assertThat(Endpoints.format("0:0:0:0:0:0:0:1", 5683)).isEqualTo("[0:0:0:0:0:0:0:1]:5683");
  }

  /** Verifies that a datagram's source packs as its address literal does, and IPv6 not at all. */
  @Test
  void packsASourceAddressAsItsLiteral() throws Exception {
    assertThat(Endpoints.pack(new InetSocketAddress("192.168.1.250", 65_535)))
        .isEqualTo(Endpoints.pack("192.168.1.250", 65_535));
    assertThat(Endpoints.pack(new InetSocketAddress("10.0.0.1", 5683)))
        .isEqualTo(Endpoints.pack("10.0.0.1", 5683));
    assertThat(Endpoints.pack(new InetSocketAddress("::1", 5683))).isEqualTo(Endpoints.NOT_IPV4);
  }
}
