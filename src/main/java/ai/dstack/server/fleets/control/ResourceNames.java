package ai.dstack.server.fleets.control;

import ai.dstack.server.api.ApiException;
import java.security.SecureRandom;
import java.util.List;
import java.util.regex.Pattern;

/** Names of runs, fleets, gateways and volumes: upstream's rule, and generated ones like it. */
public final class ResourceNames {
  private static final Pattern NAME = Pattern.compile("^[a-z][a-z0-9-]{1,40}$");
  private static final List<String> ADJECTIVES =
      List.of(
          "brave", "calm", "clever", "eager", "fancy", "gentle", "happy", "jolly", "kind", "lively",
          "nice", "proud", "quick", "silly", "smart", "sunny", "swift", "tidy", "warm", "wise");
  private static final List<String> ANIMALS =
      List.of(
          "ant", "bear", "cat", "crab", "deer", "dog", "eagle", "fish", "fox", "frog", "goat",
          "horse", "lion", "mole", "moth", "owl", "panda", "seal", "swan", "wolf");
  private static final SecureRandom RANDOM = new SecureRandom();

  private ResourceNames() {}

  public static void requireValid(String name) {
    if (!NAME.matcher(name).matches()) {
      throw ApiException.error("Resource name should match regex '" + NAME.pattern() + "'");
    }
  }

  /** {@code <adjective>-<animal>-<n>}; callers retry on a clash. */
  public static String generate() {
    return generateBase() + "-" + (1 + RANDOM.nextInt(99));
  }

  /** {@code <adjective>-<animal>}, for callers that number it themselves. */
  public static String generateBase() {
    return ADJECTIVES.get(RANDOM.nextInt(ADJECTIVES.size()))
        + "-"
        + ANIMALS.get(RANDOM.nextInt(ANIMALS.size()));
  }
}
