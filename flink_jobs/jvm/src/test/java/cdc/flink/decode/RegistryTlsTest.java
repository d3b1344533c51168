package cdc.flink.decode;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An https registry is reached with the configured CA bundle, and refused without it. */
class RegistryTlsTest {
    private static final String PASS = "changeit";

    private static void keytool(Path dir, String... args) throws Exception {
        String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
        String[] command = new String[args.length + 1];
        command[0] = keytool;
        System.arraycopy(args, 0, command, 1, args.length);
        Process process = new ProcessBuilder(command).directory(dir.toFile())
                .redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, process.waitFor(), output);
    }

    @Test
    void theCaBundleIsTrusted(@TempDir Path dir) throws Exception {
        keytool(dir, "-genkeypair", "-keystore", "server.p12", "-storetype", "PKCS12",
                "-alias", "registry", "-keyalg", "RSA", "-keysize", "2048",
                "-dname", "CN=127.0.0.1", "-ext", "SAN=ip:127.0.0.1", "-validity", "2",
                "-storepass", PASS, "-keypass", PASS);
        keytool(dir, "-exportcert", "-rfc", "-keystore", "server.p12", "-storepass", PASS,
                "-alias", "registry", "-file", "ca.pem");
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(dir.resolve("server.p12"))) {
            store.load(in, PASS.toCharArray());
        }
        KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keys.init(store, PASS.toCharArray());
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(keys.getKeyManagers(), null, null);
        HttpsServer server = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setHttpsConfigurator(new HttpsConfigurator(context));
        server.createContext("/", exchange -> {
            byte[] body = "{\"schema\": \"\\\"string\\\"\"}".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
        try {
            String url = "https://127.0.0.1:" + server.getAddress().getPort();
            RegistryClient trusting = new RegistryClient(new DecodeSettings.RegistrySettings(
                    url, 5, null, null, dir.resolve("ca.pem").toString()));
            assertEquals("\"string\"", trusting.fetch(1));
            RegistryClient plain = new RegistryClient(new DecodeSettings.RegistrySettings(
                    url, 5, null, null, null));
            assertThrows(IOException.class, () -> plain.fetch(1));
        } finally {
            server.stop(0);
        }
    }
}
