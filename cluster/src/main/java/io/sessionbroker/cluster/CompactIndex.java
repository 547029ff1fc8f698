package io.sessionbroker.cluster;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.function.Function;

/**
 * A hash index of records that carry their own key (a session and its device id): one reference per
 * slot, open addressing with linear probing. It exists for memory: a {@link java.util.HashMap}
 * entry costs a 32-byte node plus its table slot, this costs the slot alone (4 to 8 bytes per
 * record with compressed references), which matters at a million sessions per node.
 *
 * <p>Slot arithmetic, with 16 slots: a key whose {@code hashCode()} is {@code h} starts at slot
 * {@code (h * 0x9E3779B9) >>> 28} (the top 4 bits of a Fibonacci hash, so sequential ids spread
 * out) and probes forward until an empty slot. Removal shifts later records of the same run back,
 * so no tombstones are left behind. The table doubles when it is three quarters full and never
 * shrinks.
 *
 * <p>Not thread-safe. {@link #get} tolerates a concurrent writer in the sense that it neither
 * throws nor loops forever (it may return a wrong answer), so a reader can run it under an
 * optimistic lock and retry when the lock says a write happened meanwhile ({@link
 * java.util.concurrent.locks.StampedLock}).
 *
 * @param <K> the key type; keys are compared with {@code equals}
 * @param <E> the record type; records are compared by identity
 */
public final class CompactIndex<K, E> implements Iterable<E> {

  private static final int MIN_SLOTS = 16;

  private final Function<? super E, ? extends K> keyOf;
  private Object[] slots;
  private int shift;
  private int size;

  /**
   * @param keyOf the key of a record; it must not change while the record is in the index
   */
  public CompactIndex(Function<? super E, ? extends K> keyOf) {
    this.keyOf = Objects.requireNonNull(keyOf, "keyOf");
    this.slots = new Object[MIN_SLOTS];
    this.shift = 32 - Integer.numberOfTrailingZeros(MIN_SLOTS);
  }

  /** The record whose key equals {@code key}, or null. */
  @SuppressWarnings("unchecked")
  public E get(Object key) {
    Object[] table = slots;
    int mask = table.length - 1;
    int i = (key.hashCode() * 0x9E3779B9) >>> (32 - Integer.numberOfTrailingZeros(table.length));
    for (int probes = 0; probes < table.length; probes++, i = (i + 1) & mask) {
      Object record = table[i];
      if (record == null) {
        return null;
      }
      if (key.equals(keyOf.apply((E) record))) {
        return (E) record;
      }
    }
    return null;
  }

  /**
   * Adds {@code record}, replacing the record with an equal key; returns the replaced record or
   * null.
   */
  @SuppressWarnings("unchecked")
  public E put(E record) {
    K key = keyOf.apply(record);
    int mask = slots.length - 1;
    int i = slot(key);
    for (Object existing = slots[i]; existing != null; existing = slots[i = (i + 1) & mask]) {
      if (key.equals(keyOf.apply((E) existing))) {
        slots[i] = record;
        return (E) existing;
      }
    }
    slots[i] = record;
    if (++size > slots.length - (slots.length >>> 2)) {
      resize(slots.length * 2);
    }
    return null;
  }

  /** Removes this very record (not merely one with an equal key); true if it was in the index. */
  public boolean remove(E record) {
    int mask = slots.length - 1;
    int i = slot(keyOf.apply(record));
    for (Object existing = slots[i]; existing != null; existing = slots[i = (i + 1) & mask]) {
      if (existing == record) {
        shiftBack(i);
        size--;
        return true;
      }
    }
    return false;
  }

  public int size() {
    return size;
  }

  /** A snapshot of the records, in no particular order; safe to use while the index changes. */
  @SuppressWarnings("unchecked")
  public List<E> toList() {
    List<E> records = new ArrayList<>(size);
    for (Object record : slots) {
      if (record != null) {
        records.add((E) record);
      }
    }
    return records;
  }

  /** Iterates the records in no particular order; the index must not change meanwhile. */
  @Override
  public Iterator<E> iterator() {
    return new Iterator<>() {
      private int next = advance(0);

      private int advance(int from) {
        while (from < slots.length && slots[from] == null) {
          from++;
        }
        return from;
      }

      @Override
      public boolean hasNext() {
        return next < slots.length;
      }

      @Override
      @SuppressWarnings("unchecked")
      public E next() {
        if (!hasNext()) {
          throw new NoSuchElementException();
        }
        E record = (E) slots[next];
        next = advance(next + 1);
        return record;
      }
    };
  }

  private int slot(Object key) {
    return (key.hashCode() * 0x9E3779B9) >>> shift;
  }

  /**
   * Empties slot {@code hole}, then moves back every later record of the same run that may fill it:
   * a record may move to the hole only if the hole lies on its probe path, between its home slot
   * and where it sits.
   */
  @SuppressWarnings("unchecked")
  private void shiftBack(int hole) {
    int mask = slots.length - 1;
    int i = hole;
    while (true) {
      slots[hole] = null;
      Object record;
      int home;
      do {
        i = (i + 1) & mask;
        record = slots[i];
        if (record == null) {
          return;
        }
        home = slot(keyOf.apply((E) record));
      } while (((i - home) & mask) < ((i - hole) & mask));
      slots[hole] = record;
      hole = i;
    }
  }

  @SuppressWarnings("unchecked")
  private void resize(int capacity) {
    Object[] old = slots;
    Object[] table = new Object[capacity];
    int newShift = 32 - Integer.numberOfTrailingZeros(capacity);
    int mask = capacity - 1;
    for (Object record : old) {
      if (record != null) {
        int i = (keyOf.apply((E) record).hashCode() * 0x9E3779B9) >>> newShift;
        while (table[i] != null) {
          i = (i + 1) & mask;
        }
        table[i] = record;
      }
    }
    shift = newShift;
    slots = table;
  }

  @Override
  public String toString() {
    return "CompactIndex[size=" + size + ", slots=" + slots.length + "]";
  }

  /** For tests: the records in slot order, nulls for empty slots. */
  Object[] slotsForTest() {
    return Arrays.copyOf(slots, slots.length);
  }
}
