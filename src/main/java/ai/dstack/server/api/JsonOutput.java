package ai.dstack.server.api;

import jakarta.json.bind.Jsonb;
import jakarta.json.bind.JsonbBuilder;
import jakarta.json.bind.JsonbConfig;
import jakarta.json.bind.adapter.JsonbAdapter;
import jakarta.json.bind.config.PropertyNamingStrategy;
import jakarta.json.bind.config.PropertyOrderStrategy;
import jakarta.ws.rs.ext.ContextResolver;
import jakarta.ws.rs.ext.Provider;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * Response JSON as upstream writes it (API.md §1.5): snake_case names, every field present (null
 * when unset), datetimes in UTC with an explicit {@code +00:00} and microseconds when non-zero.
 */
@Provider
public class JsonOutput implements ContextResolver<Jsonb> {
  private static final Jsonb JSONB =
      JsonbBuilder.create(
          new JsonbConfig()
              .withPropertyNamingStrategy(PropertyNamingStrategy.LOWER_CASE_WITH_UNDERSCORES)
              .withPropertyOrderStrategy(PropertyOrderStrategy.ANY)
              .withNullValues(true)
              .withAdapters(new InstantAdapter()));

  @Override
  public Jsonb getContext(Class<?> type) {
    return JSONB;
  }

  public static String toJson(Object value) {
    return JSONB.toJson(value);
  }

  public static String datetime(Instant instant) {
    return InstantAdapter.format(instant);
  }

  static final class InstantAdapter implements JsonbAdapter<Instant, String> {
    private static final DateTimeFormatter SECONDS =
        DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss").withZone(ZoneOffset.UTC);

    static String format(Instant instant) {
      int micros = instant.getNano() / 1000;
      String fraction = micros == 0 ? "" : String.format(".%06d", micros);
      return SECONDS.format(instant) + fraction + "+00:00";
    }

    @Override
    public String adaptToJson(Instant instant) {
      return format(instant);
    }

    @Override
    public Instant adaptFromJson(String text) {
      return java.time.OffsetDateTime.parse(text).toInstant();
    }
  }
}
