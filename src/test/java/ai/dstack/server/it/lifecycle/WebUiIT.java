package ai.dstack.server.it.lifecycle;

import static ai.dstack.server.it.Expect.body;
import static ai.dstack.server.it.Expect.ok;
import static ai.dstack.server.it.lifecycle.LoopbackFleet.commands;
import static ai.dstack.server.it.lifecycle.LoopbackFleet.finished;
import static ai.dstack.server.it.lifecycle.LoopbackFleet.taskSpec;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.dstack.server.it.Api;
import jakarta.json.JsonObject;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The web UI in Debian's headless Chromium, against the WAR in Payara Micro with real data: an SSH
 * fleet of one loopback host, a finished run and a running one that prints a line a second. Every
 * page visited is saved under {@code target/ui-screenshots/}.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class WebUiIT {
  private static final Path SCREENSHOTS = Path.of("target", "ui-screenshots");
  private static LoopbackFleet fleet;
  private static Api api;
  private static ChromeDriver browser;
  private static String base;

  @BeforeAll
  static void start() throws Exception {
    fleet = LoopbackFleet.builder("ui").start();
    api = fleet.api();
    base = api.baseUrl();
    fleet.applyRun(taskSpec("finished-run", Map.of("commands", commands("echo all good"))));
    fleet.awaitRun("finished-run", finished(), "finished-run to end");
    fleet.applyRun(
        taskSpec(
            "ticker",
            Map.of("commands", commands("for i in $(seq 1 900); do echo tick-$i; sleep 1; done"))));
    fleet.awaitRun("ticker", r -> r.getString("status").equals("running"), "ticker to run");
    Files.createDirectories(SCREENSHOTS);
    ChromeOptions options = new ChromeOptions();
    options.setBinary("/usr/bin/chromium");
    options.addArguments(
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-dev-shm-usage",
        "--window-size=1280,900");
    ChromeDriverService service =
        new ChromeDriverService.Builder()
            .usingDriverExecutable(new File("/usr/bin/chromedriver"))
            .build();
    browser = new ChromeDriver(service, options);
  }

  @AfterAll
  static void stop() throws Exception {
    try {
      if (browser != null) {
        browser.quit();
      }
    } finally {
      if (fleet != null) {
        fleet.close();
      }
    }
  }

  @Test
  @Order(1)
  void signingInWithAWrongTokenSaysSoAndWithTheRightOneShowsTheRuns() throws IOException {
    browser.get(base + "/runs");
    // not signed in: the app sends the user to the sign-in page and back afterwards
    waitFor(ExpectedConditions.urlContains("/signin?next="));
    WebElement token = find("#token");
    token.sendKeys("not-a-token", Keys.ENTER);
    assertEquals("Invalid token", waitVisible("#signin .error").getText());
    token.clear();
    // the keyboard alone signs in: Enter submits the form
    token.sendKeys(api.adminToken(), Keys.ENTER);
    waitFor(ExpectedConditions.urlToBe(base + "/runs"));
    waitText("#runs", "ticker");
    String runs = find("#runs").getText();
    assertTrue(runs.contains("finished-run"), runs);
    assertEquals("running", statusInRow("ticker"));
    assertEquals("done", statusInRow("finished-run"));
    assertEquals("admin", find("#current-user").getText());
    assertTrue(find("#header").getText().contains("v0.20.29"), find("#header").getText());
    assertEquals("main", new Select(find("#project-switcher")).getFirstSelectedOption().getText());
    shot("runs");

    new Select(find("#filter-project")).selectByValue("main");
    waitFor(ExpectedConditions.urlContains("project=main"));
    // the filters re-render the page: the checkbox is looked up again until the new one is there
    waitFor(
        d -> {
          find("#filter-active").click();
          return true;
        });
    waitFor(ExpectedConditions.urlContains("active=1"));
    waitFor(d -> !find("#runs").getText().contains("finished-run"));
    assertTrue(find("#runs").getText().contains("ticker"));
  }

  @Test
  @Order(2)
  void aRunningRunsPageFollowsItsLogAsNewLinesArrive() throws IOException {
    signedIn();
    open("/runs");
    clickLink("ticker");
    waitFor(ExpectedConditions.urlToBe(base + "/projects/main/runs/ticker"));
    waitText("#run-logs", "tick-");
    int first = tickLines();
    // no reload: the page polls logs/poll and appends
    waitFor(d -> tickLines() >= first + 3);
    assertTrue(find("#run-spec").getText().contains("type: task"), find("#run-spec").getText());
    assertTrue(find("#run-spec").getText().contains("tick-$i"), find("#run-spec").getText());
    assertEquals("running", find("#run-status").getText());
    String jobs = find("#run-jobs").getText();
    assertTrue(jobs.contains("running"), jobs);
    assertTrue(jobs.contains(fleet.host(0).address()), jobs);
    assertTrue(find("#run-metrics").getText().contains("CPU"), find("#run-metrics").getText());
    // the server samples every 10 s; CPU needs two samples: both charts get lines within a minute
    waitFor(
        Duration.ofSeconds(60),
        d -> browser.findElements(By.cssSelector("#run-metrics polyline")).size() >= 2);
    assertFalse(find("#run-spec").getText().contains("null"), find("#run-spec").getText());
    shot("run-running");
  }

  @Test
  @Order(3)
  void stoppingARunFromItsPageAsksFirstThenEndsIt() throws IOException {
    signedIn();
    open("/projects/main/runs/ticker");
    clickButton("Stop");
    WebElement dialog = waitVisible("dialog.dialog");
    assertTrue(dialog.getText().contains("Stop run ticker?"), dialog.getText());
    // Esc cancels: the run keeps running
    dialog.sendKeys(Keys.ESCAPE);
    waitFor(ExpectedConditions.invisibilityOfElementLocated(By.cssSelector("dialog.dialog")));
    assertEquals("running", fleet.getRun("ticker").getString("status"));
    clickButton("Stop");
    waitVisible("dialog.dialog").findElement(By.cssSelector("button.danger")).click();
    waitFor(Duration.ofSeconds(90), d -> find("#run-status").getText().equals("terminated"));
    JsonObject run = fleet.getRun("ticker");
    assertEquals("terminated", run.getString("status"));
    assertEquals("stopped_by_user", run.getString("termination_reason"));
    waitFor(d -> !browser.findElements(By.xpath("//button[normalize-space()='Delete']")).isEmpty());
    shot("run-stopped");
  }

  @Test
  @Order(4)
  void aFinishedRunShowsItsSubmissionsAndItsWholeLog() throws IOException {
    signedIn();
    open("/projects/main/runs/finished-run");
    waitText("#run-logs", "all good");
    String jobs = find("#run-jobs").getText();
    assertTrue(jobs.contains("done"), jobs);
    assertTrue(jobs.contains("done_by_runner"), jobs);
    assertTrue(browser.findElements(By.xpath("//button[normalize-space()='Stop']")).isEmpty());
    shot("run-finished");
  }

  @Test
  @Order(5)
  void anAdminCreatesAUserAndAProjectAndAddsTheUserAsAMember() throws IOException {
    signedIn();
    open("/users");
    find("#new-username").sendKeys("ui-member");
    find("#new-email").sendKeys("member@example.com");
    clickButton("Create user");
    waitFor(ExpectedConditions.urlToBe(base + "/users/ui-member"));
    waitText("main", "member@example.com");
    find("#user-active").click();
    clickButton("Save");
    waitFor(d -> !memberUser().getBoolean("active"));
    waitFor(d -> find("#user-active").getDomProperty("checked").equals("false"));
    find("#user-active").click();
    clickButton("Save");
    waitFor(d -> memberUser().getBoolean("active"));
    String token = memberUser().getJsonObject("creds").getString("token");
    clickButton("Refresh token");
    waitVisible("dialog.dialog").findElement(By.cssSelector("button.danger")).click();
    waitFor(d -> !memberUser().getJsonObject("creds").getString("token").equals(token));
    String refreshed = memberUser().getJsonObject("creds").getString("token");
    waitText("#user-token", refreshed);
    shot("user");
    open("/users");
    waitText("#users", "ui-member");
    shot("users");

    open("/projects");
    find("#new-project-name").sendKeys("ui-project");
    clickButton("Create project");
    waitFor(ExpectedConditions.urlToBe(base + "/projects/ui-project"));
    // the new project joins the header's switcher
    waitFor(
        d ->
            new Select(find("#project-switcher"))
                .getOptions().stream().anyMatch(o -> o.getText().equals("ui-project")));
    find("#member-username").sendKeys("ui-member");
    new Select(find("#member-role")).selectByValue("manager");
    clickButton("Add member");
    waitText("#members", "ui-member");
    assertEquals("manager", roleOf("ui-project", "ui-member"));

    new Select(find("select[data-member='ui-member']")).selectByValue("user");
    waitFor(d -> "user".equals(roleOf("ui-project", "ui-member")));
    shot("project");
    open("/projects");
    waitText("#projects", "ui-project");
    shot("projects");
  }

  @Test
  @Order(6)
  void aSecretIsSetAndStaysHiddenUntilRevealed() throws IOException {
    signedIn();
    open("/projects/ui-project");
    find("#secret-name").sendKeys("HF_TOKEN");
    find("#secret-value").sendKeys("hf-very-secret-42");
    clickButton("Set secret");
    waitText("#secrets", "HF_TOKEN");
    assertFalse(find("main").getText().contains("hf-very-secret-42"));
    assertEquals(
        "hf-very-secret-42",
        ok(api.post("/api/project/ui-project/secrets/get", body("name", "HF_TOKEN")))
            .getString("value"));
    WebElement value = find("[data-secret='HF_TOKEN']");
    value.findElement(By.xpath("following-sibling::button[normalize-space()='Reveal']")).click();
    waitFor(d -> value.getText().equals("hf-very-secret-42"));
    shot("project-secrets");
  }

  @Test
  @Order(7)
  void backendYamlErrorsShowTheirMessageAndStoredCredentialsStayMasked() throws IOException {
    signedIn();
    String incomplete = "type: aws\ncreds:\n  type: access_key\n  access_key: AKIAUITEST\n";
    String expected =
        api.post("/api/project/ui-project/backends/create_yaml", body("config_yaml", incomplete))
            .object()
            .getJsonArray("detail")
            .getJsonObject(0)
            .getString("msg");
    open("/projects/ui-project/backends/new");
    setEditor("#backend-yaml", "type: aws\ncreds: [unclosed\n");
    clickButton("Create backend");
    assertTrue(waitVisible("main .error").getText().startsWith("Invalid YAML"));
    setEditor("#backend-yaml", incomplete);
    clickButton("Create backend");
    waitFor(d -> find("main .error").getText().contains(expected));
    shot("backend-error");

    setEditor(
        "#backend-yaml",
        "type: aws\ncreds:\n  type: access_key\n  access_key: AKIAUITEST\n"
            + "  secret_key: the-real-secret\nregions: [us-east-1]\n");
    clickButton("Create backend");
    waitFor(ExpectedConditions.urlToBe(base + "/projects/ui-project"));
    clickLink("aws");
    WebElement editor = waitVisible("#backend-yaml");
    String shown = editor.getDomProperty("value");
    assertFalse(shown.contains("the-real-secret"), shown);
    assertTrue(shown.contains("********"), shown);
    shot("backend-edit");
    // saving an edit with the mask in place keeps the stored secret
    setEditor("#backend-yaml", shown.replace("us-east-1", "eu-west-1"));
    clickButton("Save backend");
    waitFor(ExpectedConditions.urlToBe(base + "/projects/ui-project"));
    JsonObject stored = ok(api.post("/api/project/ui-project/backends/aws/config_info", null));
    assertEquals("the-real-secret", stored.getJsonObject("creds").getString("secret_key"));
    assertEquals("eu-west-1", stored.getJsonArray("regions").getString(0));
  }

  @Test
  @Order(8)
  void fleetsListTheirInstancesWithDetails() throws IOException {
    signedIn();
    open("/fleets");
    waitText("#fleets", "hosts");
    waitText("#instances", fleet.host(0).address());
    shot("fleets");
    clickLink("hosts");
    waitText("#fleet-instances", "hosts-0");
    shot("fleet");
    clickLink("hosts-0");
    waitText("#instance-status", "idle");
    String page = find("main").getText();
    assertTrue(page.contains(fleet.host(0).address()), page);
    assertTrue(page.contains("Unreachable\nno"), page);
    assertTrue(page.contains("xCPU"), page);
    shot("instance");
    open("/fleets/new");
    shot("fleet-new");
  }

  @Test
  @Order(9)
  void eventsVolumesGatewaysAndTheProfileShowWhatExists() throws IOException {
    signedIn();
    open("/events");
    waitText("#events", "Run submitted");
    new Select(find("#events-type")).selectByValue("secret");
    waitFor(ExpectedConditions.urlContains("type=secret"));
    waitFor(d -> !find("#events").getText().contains("Run submitted"));
    waitText("#events", "HF_TOKEN");
    shot("events");
    open("/volumes");
    waitText("main", "No volumes");
    shot("volumes");
    open("/gateways");
    waitText("main", "No gateways");
    shot("gateways");
    open("/profile");
    find("#user-token").getText();
    assertFalse(find("main").getText().contains(api.adminToken()));
    clickButton("Reveal");
    waitText("#user-token", api.adminToken());
    assertTrue(find("#user-ssh-key").getText().startsWith("ssh-"));
    shot("profile");
  }

  @Test
  @Order(10)
  void aNarrowWindowKeepsThePageWithinItsWidthAndEveryRequestStaysLocal() throws IOException {
    signedIn();
    browser.manage().window().setSize(new Dimension(420, 900));
    try {
      open("/runs");
      waitText("#runs", "finished-run");
      long overflow =
          (Long)
              js(
                  "return document.documentElement.scrollWidth - document.documentElement.clientWidth;");
      assertTrue(overflow <= 0, "the page scrolls sideways by " + overflow + " px");
      shot("runs-narrow");
      @SuppressWarnings("unchecked")
      List<String> requested =
          (List<String>)
              js(
                  "return performance.getEntriesByType('resource').map(e => e.name)"
                      + ".concat([location.href]);");
      assertFalse(requested.isEmpty());
      for (String url : requested) {
        assertTrue(url.startsWith(base + "/"), url + " is not on the server");
      }
    } finally {
      browser.manage().window().setSize(new Dimension(1280, 900));
    }
  }

  private static void signedIn() {
    if (browser.getCurrentUrl().startsWith(base)
        && js("return localStorage.getItem('dstack.token')") != null) {
      return;
    }
    browser.get(base + "/signin");
    js("localStorage.setItem('dstack.token', arguments[0])", api.adminToken());
  }

  private static void open(String path) {
    browser.get(base + path);
    waitFor(d -> !find("main").getText().startsWith("Loading"));
  }

  private static WebElement find(String css) {
    return browser.findElement(By.cssSelector(css));
  }

  private static WebElement waitVisible(String css) {
    return waitFor(ExpectedConditions.visibilityOfElementLocated(By.cssSelector(css)));
  }

  private static void waitText(String css, String text) {
    waitFor(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector(css), text));
  }

  private static <T> T waitFor(
      java.util.function.Function<? super org.openqa.selenium.WebDriver, T> c) {
    return waitFor(Duration.ofSeconds(30), c);
  }

  private static <T> T waitFor(
      Duration limit, java.util.function.Function<? super org.openqa.selenium.WebDriver, T> c) {
    // pages re-render as they refresh: an element read a moment ago may be gone
    return new WebDriverWait(browser, limit)
        .ignoring(StaleElementReferenceException.class)
        .until(c);
  }

  private static void clickButton(String label) {
    waitFor(
            ExpectedConditions.elementToBeClickable(
                By.xpath("//main//button[normalize-space()='" + label + "']")))
        .click();
  }

  private static void clickLink(String text) {
    waitFor(ExpectedConditions.elementToBeClickable(By.linkText(text))).click();
  }

  private static void setEditor(String css, String text) {
    js("arguments[0].value = arguments[1];", find(css), text);
  }

  private static Object js(String script, Object... args) {
    return ((JavascriptExecutor) browser).executeScript(script, args);
  }

  private static String statusInRow(String runName) {
    return browser
        .findElement(
            By.xpath(
                "//div[@id='runs']//tr[td//a[normalize-space()='"
                    + runName
                    + "']]//span[contains(@class,'status')]"))
        .getText();
  }

  private static int tickLines() {
    return (int) find("#run-logs").getText().lines().filter(l -> l.startsWith("tick-")).count();
  }

  private static JsonObject memberUser() {
    return ok(api.post("/api/users/get_user", body("username", "ui-member")));
  }

  private static String roleOf(String project, String username) {
    return ok(api.post("/api/projects/" + project + "/get", null)).getJsonArray("members").stream()
        .map(m -> m.asJsonObject())
        .filter(m -> m.getJsonObject("user").getString("username").equals(username))
        .map(m -> m.getString("project_role"))
        .findFirst()
        .orElse(null);
  }

  /** The whole page, not only the window: the window grows to the page's height meanwhile. */
  private static void shot(String name) throws IOException {
    Dimension window = browser.manage().window().getSize();
    long height = (Long) js("return document.documentElement.scrollHeight;");
    browser
        .manage()
        .window()
        .setSize(
            new Dimension(window.getWidth(), (int) Math.min(Math.max(height + 120, 900), 4000)));
    try {
      File file = browser.getScreenshotAs(OutputType.FILE);
      Files.copy(
          file.toPath(), SCREENSHOTS.resolve(name + ".png"), StandardCopyOption.REPLACE_EXISTING);
    } finally {
      browser.manage().window().setSize(window);
    }
  }
}
