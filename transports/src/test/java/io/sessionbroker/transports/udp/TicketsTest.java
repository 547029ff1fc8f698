package io.sessionbroker.transports.udp;

import static org.assertj.core.api.Assertions.assertThat;

import java.security.SecureRandom;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class TicketsTest {

  @Test
  void encodesAs22Base64UrlCharactersAndMatchesOnlyItself() {
    SecureRandom random = new SecureRandom();
    long high = random.nextLong();
    long low = random.nextLong();

    String ticket = Tickets.encode(high, low);

    assertThat(ticket).matches("[A-Za-z0-9_-]{22}");
    assertThat(Tickets.matches(ticket, high, low)).isTrue();
    assertThat(Tickets.matches(ticket, high, low + 1)).isFalse();
    assertThat(Tickets.matches(ticket, high ^ Long.MIN_VALUE, low)).isFalse();
  }

  /** Verifies that every ticket matches its own two halves and none with one bit changed. */
  @Test
  void matchesEveryTicketToItsOwnBitsOnly() {
    SecureRandom random = new SecureRandom();
    for (int i = 0; i < 2_000; i++) {
      long high = random.nextLong();
      long low = random.nextLong();
      String ticket = Tickets.encode(high, low);
      long bit = 1L << random.nextInt(64);

      assertThat(Tickets.matches(ticket, high, low)).isTrue();
      assertThat(Tickets.matches(ticket, high ^ bit, low)).isFalse();
      assertThat(Tickets.matches(ticket, high, low ^ bit)).isFalse();
    }
  }

  @Test
  void refusesAnythingThatIsNotATicket() {
    String ticket = Tickets.encode(1, 2);

    assertThat(Tickets.matches("", 1, 2)).isFalse();
    assertThat(Tickets.matches(ticket.substring(1), 1, 2)).isFalse();
    assertThat(Tickets.matches(ticket + "A", 1, 2)).isFalse();
    assertThat(Tickets.matches("!".repeat(22), 1, 2)).isFalse();
    assertThat(Tickets.matches(ticket.replace('A', '+'), 1, 2)).isFalse();
  }

  @Test
  void acceptsOnlyTheCanonicalTextOfATicket() {
    String ticket = Tickets.encode(0x0123456789abcdefL, 0xfedcba9876543210L);
    char last = ticket.charAt(21);
    String alias =
        ticket.substring(0, 21) + (char) (last + 1); // same 128 bits, non-zero padding bits

    assertThat(java.util.Base64.getUrlDecoder().decode(alias))
        .isEqualTo(java.util.Base64.getUrlDecoder().decode(ticket));
    assertThat(Tickets.matches(alias, 0x0123456789abcdefL, 0xfedcba9876543210L)).isFalse();
    assertThat(Tickets.matches(ticket, 0x0123456789abcdefL, 0xfedcba9876543210L)).isTrue();
  }

  @Test
  void drawsDifferentTicketsEveryTime() {
    SecureRandom random = new SecureRandom();
    Set<String> tickets = new HashSet<>();
    for (int i = 0; i < 10_000; i++) {
      tickets.add(Tickets.encode(random.nextLong(), random.nextLong()));
    }
    assertThat(tickets).hasSize(10_000);
  }
}
