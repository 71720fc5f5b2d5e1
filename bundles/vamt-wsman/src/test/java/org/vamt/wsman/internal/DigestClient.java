package org.vamt.wsman.internal;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

/** A small WS-Management client doing RFC 2617 Digest the way AMT tools do, for tests. */
final class DigestClient {
    final HttpClient http;
    final String url;
    final String user;
    final String password;
    String nonce;
    String realm;
    int nc;

    DigestClient(String url, String user, String password) {
        this(HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build(), url, user, password);
    }

    /** Over a caller-made client, e.g. one speaking TLS with chosen versions and suites. */
    DigestClient(HttpClient http, String url, String user, String password) {
        this.http = http;
        this.url = url;
        this.user = user;
        this.password = password;
    }

    HttpResponse<String> post(String envelope) throws IOException, InterruptedException {
        if (nonce == null) {
            HttpResponse<String> first = raw(envelope, null);
            if (first.statusCode() != 401) {
                return first;
            }
            learn(first);
        }
        HttpResponse<String> r = raw(envelope, authorization());
        if (r.statusCode() == 401 && r.headers().firstValue("WWW-Authenticate").orElse("").contains("stale=\"true\"")) {
            learn(r);
            r = raw(envelope, authorization());
        }
        return r;
    }

    void learn(HttpResponse<String> challenge) {
        Map<String, String> p = org.vamt.security.digest.DigestMath.parameters(
                challenge.headers().firstValue("WWW-Authenticate").orElseThrow().substring(7));
        nonce = p.get("nonce");
        realm = p.get("realm");
        nc = 0;
    }

    String authorization() {
        return authorization(String.format("%08x", ++nc), "0a4f113b");
    }

    String authorization(String ncText, String cnonce) {
        String ha1 = org.vamt.security.digest.DigestMath.md5Hex(user + ":" + realm + ":" + password);
        String path = URI.create(url).getPath();
        String ha2 = org.vamt.security.digest.DigestMath.md5Hex("POST:" + path);
        String response = org.vamt.security.digest.DigestMath.md5Hex(ha1 + ":" + nonce + ":" + ncText + ":" + cnonce + ":auth:" + ha2);
        return "Digest username=\"" + user + "\", realm=\"" + realm + "\", nonce=\"" + nonce
                + "\", uri=\"" + path + "\", qop=auth, nc=" + ncText + ", cnonce=\"" + cnonce + "\", response=\""
                + response + "\"";
    }

    HttpResponse<String> raw(String envelope, String authorization) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10))
                .POST(HttpRequest.BodyPublishers.ofString(envelope));
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }
}
