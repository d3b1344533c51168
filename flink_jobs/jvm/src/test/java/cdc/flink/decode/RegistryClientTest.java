package cdc.flink.decode;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The registry client against a local HTTP server: auth header, paths, status mapping. */
class RegistryClientTest {
    private HttpServer server;
    private final List<String> seen = new ArrayList<>();

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", exchange -> {
            String path = exchange.getRequestURI().getRawPath();
            seen.add(exchange.getRequestMethod() + " " + path + " "
                    + exchange.getRequestHeaders().getFirst("Authorization"));
            String body = "{}";
            int status = 200;
            if (path.equals("/schemas/ids/7")) {
                body = "{\"schema\": \"{\\\"type\\\": \\\"string\\\"}\"}";
            } else if (path.equals("/schemas/ids/8") || path.endsWith("/absent-value/versions/latest")) {
                status = 404;
            } else if (path.equals("/schemas/ids/9")) {
                status = 503;
            } else if (path.endsWith("/versions")) {
                body = "{\"id\": 42}";
            } else if (path.endsWith("/versions/latest")) {
                body = "{\"schema\": \"latest\", \"id\": 3}";
            }
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(status, bytes.length);
            exchange.getResponseBody().write(bytes);
            exchange.close();
        });
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/";
    }

    @Test
    void fetchesRegistersAndReadsLatestWithBasicAuth(@TempDir Path dir) throws Exception {
        Path secret = Files.writeString(dir.resolve("user-info"), "user:pa ss\n");
        RegistryClient client = new RegistryClient(new DecodeSettings.RegistrySettings(
                url(), 5, null, secret.toString(), null));
        assertEquals("{\"type\": \"string\"}", client.fetch(7));
        assertEquals(42, client.register("processed.public.orders-value", "{}"));
        assertEquals("latest", client.latest("processed.public.orders-value"));
        assertNull(client.latest("absent-value"));
        String auth = "Basic " + Base64.getEncoder().encodeToString(
                "user:pa ss".getBytes(StandardCharsets.UTF_8));
        assertEquals(List.of("GET /schemas/ids/7 " + auth,
                "POST /subjects/processed.public.orders-value/versions " + auth,
                "GET /subjects/processed.public.orders-value/versions/latest " + auth,
                "GET /subjects/absent-value/versions/latest " + auth), seen);
    }

    @Test
    void anUnknownIdIsTheRecordsFaultAnOutageIsNot() throws Exception {
        RegistryClient client = new RegistryClient(new DecodeSettings.RegistrySettings(
                url(), 5, null, null, null));
        assertThrows(SchemaSource.NotFound.class, () -> client.fetch(8));
        assertThrows(IOException.class, () -> client.fetch(9));
        server.stop(0);
        assertThrows(IOException.class, () -> client.fetch(7));
    }
}
