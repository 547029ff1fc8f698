package io.sessionbroker.transports.mqtt;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.reflect.Method;

/**
 * A method handle on a method a library keeps non-public ({@link VertxMqttBridge}: vertx-mqtt's
 * {@code handleMessage}; {@link PacketDecoder}: Netty's {@code MqttDecoder.decode}), looked up
 * once, in a static initializer: an upgrade that removes it fails the class at once, by name.
 */
final class NonPublic {

  private NonPublic() {}

  static MethodHandle method(Class<?> owner, String name, Class<?>... parameters) {
    try {
      Method method = owner.getDeclaredMethod(name, parameters);
      method.setAccessible(true);
      return MethodHandles.lookup().unreflect(method);
    } catch (ReflectiveOperationException | RuntimeException e) {
      throw new ExceptionInInitializerError(
          "a dependency changed: no " + owner.getName() + "." + name + ": " + e);
    }
  }
}
