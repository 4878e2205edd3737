package ai.dstack.server.runs.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.dstack.server.api.ApiException;
import jakarta.json.Json;
import jakarta.json.JsonReader;
import java.io.StringReader;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CronTest {
  private static Instant next(String cron, String from) {
    return Cron.parse(cron).next(Instant.parse(from));
  }

  @Test
  void everyMinuteFiresAtTheNextWholeMinuteOrNowOnTheMinute() {
    assertEquals(
        Instant.parse("2026-12-04T10:16:00Z"), next("* * * * *", "2026-12-04T10:15:00.001Z"));
    assertEquals(Instant.parse("2026-12-04T10:15:00Z"), next("* * * * *", "2026-12-04T10:15:00Z"));
  }

  @Test
  void fieldsTakeRangesStepsListsAndNames() {
    assertEquals(
        Instant.parse("2026-12-04T10:30:00Z"), next("*/15 * * * *", "2026-12-04T10:16:00Z"));
    assertEquals(
        Instant.parse("2026-12-04T14:05:00Z"), next("5 9-17/5 * * *", "2026-12-04T10:00:00Z"));
    assertEquals(
        Instant.parse("2027-01-01T00:00:00Z"), next("0 0 1 jan *", "2026-12-04T10:00:00Z"));
    assertEquals(
        Instant.parse("2026-12-05T00:00:00Z"), next("0 0 * * 1,6", "2026-12-04T10:00:00Z"));
    // 2026-12-04 is a Friday: mon-fri at 08:00 next fires on Monday the 7th
    assertEquals(
        Instant.parse("2026-12-07T08:00:00Z"), next("0 8 * * mon-fri", "2026-12-04T09:00:00Z"));
    assertEquals(Instant.parse("2026-12-06T08:00:00Z"), next("0 8 * * 0", "2026-12-04T09:00:00Z"));
    assertEquals(Instant.parse("2026-12-06T08:00:00Z"), next("0 8 * * 7", "2026-12-04T09:00:00Z"));
  }

  @Test
  void dayOfMonthAndWeekdayMustBothMatch() {
    // the next 13th that is a Friday after December 2026
    assertEquals(
        Instant.parse("2027-08-13T00:00:00Z"), next("0 0 13 * fri", "2026-12-04T00:00:00Z"));
    assertEquals(
        Instant.parse("2028-02-29T12:00:00Z"), next("0 12 29 2 *", "2026-12-04T00:00:00Z"));
    assertNull(next("0 0 30 2 *", "2026-12-04T00:00:00Z"));
  }

  @Test
  void malformedExpressionsSayWhatIsWrong() {
    assertTrue(
        assertThrows(IllegalArgumentException.class, () -> Cron.parse("* * * *"))
            .getMessage()
            .contains("expected 5"));
    for (String bad :
        List.of(
            "60 * * * *",
            "* 24 * * *",
            "* * 0 * *",
            "* * * 13 *",
            "*/0 * * * *",
            "5-1 * * * *",
            "x * * * *",
            "* * * * 8")) {
      assertThrows(IllegalArgumentException.class, () -> Cron.parse(bad), bad);
    }
  }

  private static Map<String, Object> read(String schedule) {
    String json =
        "{\"configuration\":{\"type\":\"task\",\"commands\":[\"x\"],\"schedule\":"
            + schedule
            + "}}";
    try (JsonReader reader = Json.createReader(new StringReader(json))) {
      return RunSpecs.read(reader.readValue(), List.of("body", "run_spec"));
    }
  }

  @Test
  void aScheduleIsAListOfCronsAndItsEarliestTriggerComesFirst() {
    Map<String, Object> spec = read("{\"cron\":\"0 12 * * *\"}");
    assertEquals(
        Map.of("cron", List.of("0 12 * * *")), RunSpecs.configuration(spec).get("schedule"));
    Map<String, Object> two = read("{\"cron\":[\"0 12 * * *\",\"30 10 * * *\"]}");
    assertEquals(
        Instant.parse("2026-12-04T10:30:00Z"),
        Schedules.next(two, Instant.parse("2026-12-04T10:00:00Z")));
    assertNull(Schedules.next(read("null"), Instant.parse("2026-12-04T10:00:00Z")));
  }

  @Test
  void anInvalidScheduleIsA422AtItsCron() {
    for (String bad :
        List.of("{\"cron\":\"61 * * * *\"}", "{\"cron\":[]}", "{\"cron\":\"0 0 31 2 *\"}", "{}")) {
      ApiException e = assertThrows(ApiException.class, () -> read(bad), bad);
      assertEquals(422, e.status());
      assertTrue(
          e.body().toString().contains("\"configuration\",\"schedule\",\"cron\"]"),
          e.body().toString());
    }
  }
}
