package ai.dstack.server.db;

import jakarta.persistence.AttributeConverter;
import jakarta.persistence.Converter;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.temporal.ChronoField;

/**
 * Timestamps are written as ISO-8601 UTC text with a fixed six-digit fraction: SQLite stores them
 * as sortable TEXT (which pgloader loads cleanly); PostgreSQL casts the text into {@code
 * timestamptz} (the driver sends strings untyped) and reads back a {@link Timestamp}.
 */
@Converter(autoApply = true)
public class InstantText implements AttributeConverter<Instant, Object> {
  private static final DateTimeFormatter WRITE =
      DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSSSSS'Z'").withZone(ZoneOffset.UTC);
  private static final DateTimeFormatter READ =
      new DateTimeFormatterBuilder()
          .appendPattern("uuuu-MM-dd")
          .optionalStart()
          .appendLiteral('T')
          .optionalEnd()
          .optionalStart()
          .appendLiteral(' ')
          .optionalEnd()
          .appendPattern("HH:mm:ss")
          .optionalStart()
          .appendFraction(ChronoField.NANO_OF_SECOND, 0, 9, true)
          .optionalEnd()
          .optionalStart()
          .appendOffset("+HH:mm", "Z")
          .optionalEnd()
          .optionalStart()
          .appendOffset("+HH", "Z")
          .optionalEnd()
          .parseDefaulting(ChronoField.OFFSET_SECONDS, 0)
          .toFormatter();

  public static String format(Instant instant) {
    return WRITE.format(instant);
  }

  @Override
  public Object convertToDatabaseColumn(Instant instant) {
    return instant == null ? null : format(instant);
  }

  @Override
  public Instant convertToEntityAttribute(Object value) {
    if (value == null) {
      return null;
    }
    if (value instanceof Timestamp timestamp) {
      return timestamp.toInstant();
    }
    if (value instanceof OffsetDateTime dateTime) {
      return dateTime.toInstant();
    }
    return OffsetDateTime.parse(value.toString().trim(), READ).toInstant();
  }
}
