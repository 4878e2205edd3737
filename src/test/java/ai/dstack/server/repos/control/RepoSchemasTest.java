package ai.dstack.server.repos.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.dstack.server.api.ApiException;
import ai.dstack.server.api.json.JsonInput;
import jakarta.json.Json;
import jakarta.json.JsonArray;
import jakarta.json.JsonValue;
import java.io.StringReader;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RepoSchemasTest {
  private static JsonInput body(String text) {
    JsonValue value = Json.createReader(new StringReader(text)).readValue();
    return JsonInput.requiredBody(value);
  }

  private static Object info(String repoInfo) {
    JsonInput in = body("{\"repo_info\":" + repoInfo + "}");
    Object info = in.model("repo_info", RepoSchemas.INFO);
    in.validate();
    return info;
  }

  @Test
  void repoTypeDefaultsPickTheVariantAsPydanticsPlainUnionDoes() {
    assertEquals(Map.of("repo_type", "virtual"), info("{}"));
    assertEquals(
        Map.of("repo_type", "remote", "repo_name", "hello"), info("{\"repo_name\":\"hello\"}"));
    assertEquals(
        Map.of("repo_type", "local", "repo_dir", "/src"),
        info("{\"repo_type\":\"local\",\"repo_dir\":\"/src\"}"));
  }

  @Test
  void aValueNoVariantAcceptsReportsEachVariantsProblem() {
    ApiException e =
        assertThrows(
            ApiException.class, () -> info("{\"repo_type\":\"virtual\",\"repo_name\":\"x\"}"));
    assertEquals(422, e.status());
    JsonArray detail = e.body().asJsonObject().getJsonArray("detail");
    assertEquals(3, detail.size(), detail.toString());
    assertEquals(
        "[\"body\",\"repo_info\",\"repo_type\"]",
        detail.getJsonObject(0).getJsonArray("loc").toString());
    assertEquals("value_error.const", detail.getJsonObject(0).getString("type"));
    assertEquals("extra fields not permitted", detail.getJsonObject(2).getString("msg"));
  }

  @Test
  void credsHaveEveryFieldAndRequireACloneUrl() {
    JsonInput in = body("{\"repo_creds\":{\"clone_url\":\"https://x/y.git\"}}");
    Object creds = in.optModel("repo_creds", RepoSchemas.CREDS);
    in.validate();
    Map<String, Object> expected = new LinkedHashMap<>();
    expected.put("clone_url", "https://x/y.git");
    expected.put("private_key", null);
    expected.put("oauth_token", null);
    assertEquals(expected, creds);

    JsonInput missing = body("{\"repo_creds\":{\"oauth_token\":\"t\"}}");
    missing.optModel("repo_creds", RepoSchemas.CREDS);
    ApiException e = assertThrows(ApiException.class, missing::validate);
    assertEquals(
        "[\"body\",\"repo_creds\",\"clone_url\"]",
        e.body()
            .asJsonObject()
            .getJsonArray("detail")
            .getJsonObject(0)
            .getJsonArray("loc")
            .toString());
  }
}
