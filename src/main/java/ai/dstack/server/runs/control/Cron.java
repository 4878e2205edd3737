package ai.dstack.server.runs.control;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.util.BitSet;
import java.util.List;
import java.util.Locale;

/**
 * A five-field crontab expression ({@code minute hour day month day-of-week}) evaluated in UTC, as
 * a run's {@code schedule.cron}. Fields take {@code *}, numbers, ranges, steps, lists and the
 * three-letter month and weekday names. As upstream's scheduler, a time matches only when every
 * field matches (day of month and day of week both). Weekdays count as in cron: 0 and 7 are Sunday.
 */
public final class Cron {
  private static final List<String> MONTHS =
      List.of("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec");
  private static final List<String> WEEKDAYS =
      List.of("sun", "mon", "tue", "wed", "thu", "fri", "sat");

  /** Far enough to pass every possible match (Feb 29 on a given weekday recurs within 28 years). */
  private static final int SEARCH_YEARS = 30;

  private final BitSet minutes;
  private final BitSet hours;
  private final BitSet days;
  private final BitSet months;
  private final BitSet weekdays;

  private Cron(BitSet minutes, BitSet hours, BitSet days, BitSet months, BitSet weekdays) {
    this.minutes = minutes;
    this.hours = hours;
    this.days = days;
    this.months = months;
    this.weekdays = weekdays;
  }

  /**
   * @throws IllegalArgumentException with a message for the user when the expression is invalid
   */
  public static Cron parse(String expression) {
    String[] fields = expression.strip().split("\\s+");
    if (fields.length != 5) {
      throw new IllegalArgumentException(
          "Wrong number of fields; got " + fields.length + ", expected 5");
    }
    BitSet weekdays = field(fields[4], "day_of_week", 0, 7, WEEKDAYS);
    if (weekdays.get(7)) {
      weekdays.set(0);
      weekdays.clear(7);
    }
    return new Cron(
        field(fields[0], "minute", 0, 59, List.of()),
        field(fields[1], "hour", 0, 23, List.of()),
        field(fields[2], "day", 1, 31, List.of()),
        field(fields[3], "month", 1, 12, MONTHS),
        weekdays);
  }

  /** The first matching minute at or after {@code from}; null if none ever matches (Feb 30). */
  public Instant next(Instant from) {
    ZonedDateTime t = from.atZone(ZoneOffset.UTC);
    ZonedDateTime start = t.truncatedTo(ChronoUnit.MINUTES);
    t = start.equals(t) ? start : start.plusMinutes(1);
    ZonedDateTime limit = t.plusYears(SEARCH_YEARS);
    while (t.isBefore(limit)) {
      if (!months.get(t.getMonthValue())) {
        t = t.withDayOfMonth(1).truncatedTo(ChronoUnit.DAYS).plusMonths(1);
      } else if (!days.get(t.getDayOfMonth()) || !weekdays.get(t.getDayOfWeek().getValue() % 7)) {
        t = t.truncatedTo(ChronoUnit.DAYS).plusDays(1);
      } else if (!hours.get(t.getHour())) {
        t = t.truncatedTo(ChronoUnit.HOURS).plusHours(1);
      } else if (!minutes.get(t.getMinute())) {
        t = t.plusMinutes(1);
      } else {
        return t.toInstant();
      }
    }
    return null;
  }

  private static BitSet field(String text, String name, int min, int max, List<String> names) {
    BitSet values = new BitSet(max + 1);
    for (String part : text.toLowerCase(Locale.ROOT).split(",", -1)) {
      String range = part;
      int step = 1;
      int slash = part.indexOf('/');
      if (slash >= 0) {
        range = part.substring(0, slash);
        step = number(part.substring(slash + 1), name, part);
        if (step < 1) {
          throw invalid(name, part);
        }
      }
      int from;
      int to;
      if (range.equals("*")) {
        from = min;
        to = max;
      } else {
        int dash = range.indexOf('-');
        from = value(dash < 0 ? range : range.substring(0, dash), name, part, names, min);
        to =
            dash < 0
                ? (slash >= 0 ? max : from)
                : value(range.substring(dash + 1), name, part, names, min);
      }
      if (from < min || to > max || from > to) {
        throw invalid(name, part);
      }
      for (int v = from; v <= to; v += step) {
        values.set(v);
      }
    }
    return values;
  }

  private static int value(String text, String name, String part, List<String> names, int min) {
    int index = names.indexOf(text);
    return index >= 0 ? index + min : number(text, name, part);
  }

  private static int number(String text, String name, String part) {
    if (!text.matches("\\d{1,2}")) {
      throw invalid(name, part);
    }
    return Integer.parseInt(text);
  }

  private static IllegalArgumentException invalid(String field, String part) {
    return new IllegalArgumentException(
        "Error validating expression '" + part + "' for field '" + field + "'");
  }
}
