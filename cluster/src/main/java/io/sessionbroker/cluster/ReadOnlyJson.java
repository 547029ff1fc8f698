package io.sessionbroker.cluster;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A published event's body that nobody can change, so that the consumers in this JVM share it
 * instead of getting a deep copy each.
 *
 * <p>Why: Vert.x hands each local consumer of a published {@link JsonObject} its own deep copy
 * ({@code JsonObjectMessageCodec.transform} calls {@link JsonObject#copy()}), so that no consumer
 * sees another's changes. Every event has several consumers on its node — the metrics, the event
 * stream, the MQTT wills, and one per subscribed bridge client — and in a burst (a reconnect storm
 * of 19,000 closes and 19,000 opens) the copies waited in the consumers' queues across young
 * collections, were promoted, and filled the heap to its cap: a full collection in the middle of
 * the storm (docs/benchmarks.md, "Events shared, not copied"). A body that cannot change needs no
 * deep copy: {@link #copy()} answers a plain {@link JsonObject} over the same read-only map, one
 * small object per consumer.
 *
 * <p>What a consumer gets is an ordinary {@code JsonObject} (equal to any other of the same
 * content) that is read-only throughout: {@code put}, {@code remove}, {@code clear} and the same on
 * a nested object or array throw {@link UnsupportedOperationException}; its own {@code copy()}
 * gives a mutable copy (its keys then in hash order). On a cluster's wire it is an ordinary JSON
 * object (the same codec writes it), so another node or a bridge client reads it as before. The
 * publisher must not change the object it handed to {@link #of} afterwards: its top level is
 * wrapped, not copied.
 *
 * <p>The reach into Vert.x (that the codec copies with {@code copy()}) is pinned by {@code
 * ReadOnlyJsonTest.localConsumersOfAPublishedEventShareOneMap}: if a Vert.x release copies another
 * way, that test fails and every consumer again gets a deep copy — slower, never wrong.
 */
public final class ReadOnlyJson extends JsonObject {

  private ReadOnlyJson(Map<String, Object> map) {
    super(Collections.unmodifiableMap(map));
  }

  /** {@code json} read-only: its top level wrapped, nested objects and arrays read-only copies. */
  public static JsonObject of(JsonObject json) {
    return json instanceof ReadOnlyJson ? json : frozen(json.getMap());
  }

  /**
   * Nothing can change this object's map, so the copy the event bus makes for each local consumer
   * shares it: a plain {@code JsonObject} over the same read-only map.
   */
  @Override
  public JsonObject copy() {
    return new JsonObject(getMap());
  }

  private static ReadOnlyJson frozen(Map<String, Object> map) {
    return new ReadOnlyJson(frozenMap(map));
  }

  /** {@code map} itself when flat (the usual event: wrapped as it is), else a copy, read-only. */
  private static Map<String, Object> frozenMap(Map<String, Object> map) {
    for (Object value : map.values()) {
      if (nested(value)) {
        Map<String, Object> copy = new LinkedHashMap<>(map.size() * 2);
        map.forEach((key, v) -> copy.put(key, frozenValue(v)));
        return copy;
      }
    }
    return map;
  }

  private static boolean nested(Object value) {
    return value instanceof JsonObject
        || value instanceof Map
        || value instanceof JsonArray
        || value instanceof List;
  }

  @SuppressWarnings("unchecked")
  private static Object frozenValue(Object value) {
    if (value instanceof JsonObject object) {
      return new JsonObject(Collections.unmodifiableMap(frozenMap(object.getMap())));
    }
    if (value instanceof Map<?, ?> map) {
      return new JsonObject(Collections.unmodifiableMap(frozenMap((Map<String, Object>) map)));
    }
    if (value instanceof JsonArray array) {
      return frozenArray(array.getList());
    }
    if (value instanceof List<?> list) {
      return frozenArray(list);
    }
    return value; // strings, numbers, booleans, null: immutable
  }

  private static JsonArray frozenArray(List<?> list) {
    List<Object> copy = new ArrayList<>(list.size());
    list.forEach(v -> copy.add(frozenValue(v)));
    return new JsonArray(Collections.unmodifiableList(copy));
  }
}
