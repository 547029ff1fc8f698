package io.sessionbroker.testkit.fuzz;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * A seeded mutator over recorded valid sessions: each session is the list of packets (lines,
 * frames, datagrams, MQTT packets) a well-behaved client sends, and a mutant is such a session
 * broken by one to three stacked mutations.
 *
 * <p>Why a mutator over valid sessions rather than generated inputs (e.g. jqwik): a random byte
 * string dies in the first bytes of every decoder (a bad MQTT packet type, a line that is not
 * JSON), so most of the broker's input handling is never reached; a mutant of a valid session
 * passes the decoders most of the way and breaks one field, one length, one packet order, which is
 * where decoders go wrong. Each try also costs a connection and a round trip, so the fuzzers run
 * many tries in parallel on plain sockets, which a property engine's sequential tries would not.
 * Every try's input depends only on the run's seed and the try's index ({@link FuzzBudget#random}),
 * which makes a finding as reproducible as a shrunk jqwik sample, if not as small.
 *
 * <p>The generic mutations work on bytes and packets: bit flips, interesting byte values, insertion
 * and deletion of bytes, truncation, dropping, duplicating, swapping and splicing packets (from any
 * recorded session), random packets of random lengths. A wire adds its own with {@link #add}:
 * length fields that lie, JSON values of the wrong type or size ({@link JsonMutations}), and so on.
 */
public final class Mutator {

  /** One way to break a session; gets a copy of the packets it may change in place. */
  @FunctionalInterface
  public interface Mutation {
    List<byte[]> apply(List<byte[]> packets, Random random);
  }

  /** A broken session and the mutations that broke it, in order. */
  public record Mutant(List<byte[]> packets, List<String> applied) {

    /** The packets as one byte stream. */
    public byte[] bytes() {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      packets.forEach(out::writeBytes);
      return out.toByteArray();
    }
  }

  private record Weighted(String name, int weight, Mutation mutation) {}

  /** Byte values that decoders treat specially: bounds, signs, delimiters, UTF-8 lead bytes. */
  private static final byte[] INTERESTING = {
    0x00,
    0x01,
    0x7F,
    (byte) 0x80,
    (byte) 0xFF,
    (byte) 0xFE,
    (byte) 0xC0,
    (byte) 0xC3,
    (byte) 0xED,
    '\n',
    '\r',
    '"',
    '\\',
    '{',
    '}',
    '[',
    ']',
    ',',
    ':',
    ' ',
    '0',
    '9',
    '-'
  };

  private final List<List<byte[]>> corpus;
  private final List<Weighted> mutations = new ArrayList<>();
  private int totalWeight;

  /**
   * @param corpus the recorded valid sessions, for splicing
   */
  public Mutator(List<List<byte[]>> corpus) {
    this(corpus, true);
  }

  private Mutator(List<List<byte[]>> corpus, boolean generic) {
    this.corpus = corpus;
    if (!generic) {
      return;
    }
    add("bit-flip", 6, Mutator::flipBits);
    add("interesting-byte", 4, Mutator::interestingByte);
    add("insert-bytes", 2, Mutator::insertBytes);
    add("delete-bytes", 2, Mutator::deleteBytes);
    add("truncate", 4, Mutator::truncate);
    add("drop-packet", 2, Mutator::dropPacket);
    add("duplicate-packet", 3, Mutator::duplicatePacket);
    add("swap-packets", 2, Mutator::swapPackets);
    add("splice", 3, this::splice);
    add("random-packet", 2, Mutator::randomPacket);
  }

  /** A mutator with no mutation yet, for a wire that wants only its own ({@link #add}). */
  public static Mutator withoutGenericMutations() {
    return new Mutator(List.of(), false);
  }

  /** Adds a wire's own mutation, drawn with {@code weight} against the others. */
  public Mutator add(String name, int weight, Mutation mutation) {
    mutations.add(new Weighted(name, weight, mutation));
    totalWeight += weight;
    return this;
  }

  /** {@code session} broken by one to three mutations drawn from {@code random}. */
  public Mutant mutate(List<byte[]> session, Random random) {
    List<byte[]> packets = new ArrayList<>();
    session.forEach(p -> packets.add(p.clone()));
    List<String> applied = new ArrayList<>();
    int count = 1 + (random.nextInt(4) == 0 ? 1 + random.nextInt(2) : 0);
    List<byte[]> current = packets;
    for (int i = 0; i < count; i++) {
      Weighted mutation = draw(random);
      current = new ArrayList<>(mutation.mutation().apply(current, random));
      applied.add(mutation.name());
    }
    return new Mutant(current, applied);
  }

  private Weighted draw(Random random) {
    int ticket = random.nextInt(totalWeight);
    for (Weighted mutation : mutations) {
      ticket -= mutation.weight();
      if (ticket < 0) {
        return mutation;
      }
    }
    throw new IllegalStateException();
  }

  /** A length from 0 to {@code max}, small ones much more likely (each power of two as likely). */
  public static int skewedLength(Random random, int max) {
    int bits = 32 - Integer.numberOfLeadingZeros(Math.max(1, max));
    int bound = 1 << random.nextInt(bits + 1);
    return Math.min(max, random.nextInt(bound));
  }

  /** Random bytes of the given length. */
  public static byte[] randomBytes(Random random, int length) {
    byte[] bytes = new byte[length];
    random.nextBytes(bytes);
    return bytes;
  }

  /** The index of a random non-empty packet, or -1. */
  public static int somePacket(List<byte[]> packets, Random random) {
    if (packets.isEmpty()) {
      return -1;
    }
    int start = random.nextInt(packets.size());
    for (int i = 0; i < packets.size(); i++) {
      int index = (start + i) % packets.size();
      if (packets.get(index).length > 0) {
        return index;
      }
    }
    return -1;
  }

  private static List<byte[]> flipBits(List<byte[]> packets, Random random) {
    int index = somePacket(packets, random);
    if (index >= 0) {
      byte[] packet = packets.get(index);
      for (int flips = 1 + random.nextInt(4); flips > 0; flips--) {
        packet[random.nextInt(packet.length)] ^= (byte) (1 << random.nextInt(8));
      }
    }
    return packets;
  }

  private static List<byte[]> interestingByte(List<byte[]> packets, Random random) {
    int index = somePacket(packets, random);
    if (index >= 0) {
      byte[] packet = packets.get(index);
      packet[random.nextInt(packet.length)] = INTERESTING[random.nextInt(INTERESTING.length)];
    }
    return packets;
  }

  private static List<byte[]> insertBytes(List<byte[]> packets, Random random) {
    int index = somePacket(packets, random);
    if (index >= 0) {
      byte[] packet = packets.get(index);
      int at = random.nextInt(packet.length + 1);
      byte[] inserted =
          random.nextBoolean()
              ? randomBytes(random, 1 + skewedLength(random, 64))
              : new byte[] {INTERESTING[random.nextInt(INTERESTING.length)]};
      packets.set(index, splice(packet, at, at, inserted));
    }
    return packets;
  }

  private static List<byte[]> deleteBytes(List<byte[]> packets, Random random) {
    int index = somePacket(packets, random);
    if (index >= 0) {
      byte[] packet = packets.get(index);
      int from = random.nextInt(packet.length);
      int to = Math.min(packet.length, from + 1 + skewedLength(random, 16));
      packets.set(index, splice(packet, from, to, new byte[0]));
    }
    return packets;
  }

  /** The session cut at a random byte: the rest of it never comes. */
  private static List<byte[]> truncate(List<byte[]> packets, Random random) {
    int total = packets.stream().mapToInt(p -> p.length).sum();
    if (total == 0) {
      return packets;
    }
    int cut = random.nextInt(total);
    List<byte[]> kept = new ArrayList<>();
    for (byte[] packet : packets) {
      if (cut <= 0) {
        break;
      }
      kept.add(Arrays.copyOf(packet, Math.min(cut, packet.length)));
      cut -= packet.length;
    }
    return kept;
  }

  private static List<byte[]> dropPacket(List<byte[]> packets, Random random) {
    if (packets.size() > 1) {
      packets.remove(random.nextInt(packets.size()));
    }
    return packets;
  }

  private static List<byte[]> duplicatePacket(List<byte[]> packets, Random random) {
    if (!packets.isEmpty()) {
      int index = random.nextInt(packets.size());
      int copies = random.nextInt(4) == 0 ? 2 + random.nextInt(30) : 1;
      for (int i = 0; i < copies; i++) {
        packets.add(index, packets.get(index).clone());
      }
    }
    return packets;
  }

  private static List<byte[]> swapPackets(List<byte[]> packets, Random random) {
    if (packets.size() > 1) {
      int a = random.nextInt(packets.size());
      int b = random.nextInt(packets.size());
      byte[] first = packets.get(a);
      packets.set(a, packets.get(b));
      packets.set(b, first);
    }
    return packets;
  }

  /** A packet of another recorded session (another version, another state) inserted anywhere. */
  private List<byte[]> splice(List<byte[]> packets, Random random) {
    List<byte[]> donor = corpus.get(random.nextInt(corpus.size()));
    if (!donor.isEmpty()) {
      packets.add(
          random.nextInt(packets.size() + 1), donor.get(random.nextInt(donor.size())).clone());
    }
    return packets;
  }

  private static List<byte[]> randomPacket(List<byte[]> packets, Random random) {
    byte[] bytes = randomBytes(random, skewedLength(random, 4096));
    if (packets.isEmpty() || random.nextBoolean()) {
      packets.add(random.nextInt(packets.size() + 1), bytes);
    } else {
      packets.set(random.nextInt(packets.size()), bytes);
    }
    return packets;
  }

  /** {@code bytes} with {@code [from, to)} replaced by {@code inserted}. */
  public static byte[] splice(byte[] bytes, int from, int to, byte[] inserted) {
    byte[] result = new byte[bytes.length - (to - from) + inserted.length];
    System.arraycopy(bytes, 0, result, 0, from);
    System.arraycopy(inserted, 0, result, from, inserted.length);
    System.arraycopy(bytes, to, result, from + inserted.length, bytes.length - to);
    return result;
  }
}
