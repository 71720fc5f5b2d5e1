package org.vamt.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The operator dashboard (/vamt/) from a plain HTTP client: its form login, cookies and CSRF tokens. */
final class DashboardClient {
    final String base;
    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    /** @param base the dashboard, e.g. {@code http://127.0.0.1:8181/vamt/} */
    DashboardClient(String base) {
        this.base = base;
    }

    /** Logs in as a browser does (the form's token and its cookie); returns the session cookie. */
    String login(String user, String password) throws Exception {
        HttpResponse<String> r = submitLogin(user, password);
        assertEquals(r.body(), 303, r.statusCode());
        return cookie(r, "vamt-dashboard");
    }

    /** Fills in and sends the login form; the answer as it comes (303 to the page when admitted). */
    HttpResponse<String> submitLogin(String user, String password) throws Exception {
        HttpResponse<String> form = get(null);
        return post("login", cookie(form, "vamt-dashboard-login"), "csrf=" + token(form.body())
                + "&user=" + URLEncoder.encode(user, StandardCharsets.UTF_8) + "&password="
                + URLEncoder.encode(password, StandardCharsets.UTF_8));
    }

    /** The page (the login form without a session cookie). */
    HttpResponse<String> get(String cookie) throws Exception {
        return get("", cookie);
    }

    HttpResponse<String> get(String path, String cookie) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path));
        if (cookie != null) {
            b.header("Cookie", cookie);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> post(String path, String cookie, String form) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form));
        if (cookie != null) {
            b.header("Cookie", cookie);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The CSRF token of the session's forms. */
    String csrf(String session) throws Exception {
        return token(get(session).body());
    }

    static String token(String page) {
        Matcher m = Pattern.compile("name=\"csrf\" value=\"([^\"]+)\"").matcher(page);
        assertTrue(page, m.find());
        return m.group(1);
    }

    static String cookie(HttpResponse<?> r, String name) {
        return r.headers().allValues("Set-Cookie").stream().filter(c -> c.startsWith(name + "="))
                .map(c -> c.substring(0, c.indexOf(';'))).findFirst()
                .orElseThrow(() -> new AssertionError("no cookie " + name + " in " + r.headers().map()));
    }
}
