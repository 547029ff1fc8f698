package io.sessionbroker.transports;

import io.netty.channel.AbstractChannel;
import io.netty.channel.Channel;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lets the connections accepted on one local address share one {@link InetSocketAddress} object for
 * it, instead of one each (issue 17: 96 bytes per connection session).
 *
 * <p>Why: a native Netty channel (epoll, io_uring) asks the kernel for its local address when it is
 * accepted ({@code getsockname}) and keeps what it built for the channel's whole life: an {@code
 * InetSocketAddress}, its holder, an {@code Inet4Address} and its holder, 96 bytes. Every
 * connection accepted by one listener on one interface has the same local address, so the objects
 * are equal copies of each other. Netty has no option against it (the field is private to its
 * channel classes).
 *
 * <p>What: {@link #share} replaces the channel's kept local address by the first equal one seen
 * ({@code equals}: same address, same port), so {@code localAddress()} answers an equal value as
 * before; the copy the channel built is garbage at the next young collection. At most {@link
 * #MAX_ADDRESSES} distinct addresses are kept (a node has a few listeners on a few interfaces);
 * beyond that a channel keeps its own. A channel class without such a field (NIO asks the JDK's
 * socket) is left as it is. {@code LocalAddressesTest} fails if Netty renames the field.
 */
public final class LocalAddresses {

  private static final Logger log = LoggerFactory.getLogger(LocalAddresses.class);

  /** Distinct local addresses kept at most; a node has a few. */
  static final int MAX_ADDRESSES = 256;

  private static final ConcurrentMap<InetSocketAddress, InetSocketAddress> SHARED =
      new ConcurrentHashMap<>();

  /** The channel class's own local-address field ({@code local}), or null when it has none. */
  private static final ClassValue<Field> FIELD =
      new ClassValue<>() {
        @Override
        protected Field computeValue(Class<?> type) {
          return localField(type);
        }
      };

  /** {@code AbstractChannel}'s cache of what {@code localAddress()} answered first, if asked. */
  private static final Field CACHED = field(AbstractChannel.class, "localAddress");

  private LocalAddresses() {}

  /**
   * Makes {@code channel} keep the shared object equal to its local address. Call it on the
   * channel's event loop once it is accepted.
   *
   * @return whether the channel now holds the shared object
   */
  public static boolean share(Channel channel) {
    Field local = FIELD.get(channel.getClass());
    if (local == null) {
      return false;
    }
    try {
      if (!(local.get(channel) instanceof InetSocketAddress own)) {
        return false;
      }
      InetSocketAddress shared = SHARED.get(own);
      if (shared == null) {
        if (SHARED.size() >= MAX_ADDRESSES) {
          return false;
        }
        shared = SHARED.computeIfAbsent(own, a -> a);
      }
      if (shared != own) {
        local.set(channel, shared);
        if (CACHED != null && CACHED.get(channel) == own) {
          CACHED.set(channel, shared);
        }
      }
      return true;
    } catch (IllegalAccessException | RuntimeException e) {
      log.warn("local_address_not_shared channel={} error={}", channel.getClass(), e.toString());
      return false;
    }
  }

  /** The first field named {@code local} of type {@link SocketAddress} up the class hierarchy. */
  private static Field localField(Class<?> type) {
    for (Class<?> c = type; c != null && c != AbstractChannel.class; c = c.getSuperclass()) {
      Field found = field(c, "local");
      if (found != null
          && SocketAddress.class.equals(found.getType())
          && !Modifier.isStatic(found.getModifiers())) {
        return found;
      }
    }
    return null;
  }

  private static Field field(Class<?> type, String name) {
    try {
      Field field = type.getDeclaredField(name);
      field.setAccessible(true);
      return field;
    } catch (NoSuchFieldException e) {
      return null;
    } catch (RuntimeException e) { // a module that does not open its package
      log.warn("local_address_field_unavailable class={} error={}", type, e.toString());
      return null;
    }
  }
}
