package cdc.flink.decode;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.Base64;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * The Confluent-compatible registry API the decode stage calls (Apicurio's
 * {@code /apis/ccompat/v7} included), with the connection rules of {@code cdc_core.registry}:
 * basic auth, a CA bundle for https, one try per request bounded by the timeout. A 404 on a
 * schema id is {@link SchemaSource.NotFound} (the record is at fault); 404 on a subject
 * means "no version yet"; anything else that fails is an IOException, so the job restarts
 * from its checkpoint and never dead-letters a record because the registry was down.
 */
public final class RegistryClient implements SchemaSource, RegistryCatalog.Registry {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";

    private final String base;
    private final Duration timeout;
    private final String authorization;
    private final HttpClient http;

    public RegistryClient(DecodeSettings.RegistrySettings settings) throws IOException {
        this.base = settings.url().replaceAll("/+$", "");
        this.timeout = Duration.ofMillis((long) (settings.timeoutS() * 1000));
        this.authorization = authorization(settings);
        HttpClient.Builder builder = HttpClient.newBuilder().connectTimeout(timeout);
        if (settings.sslCaLocation() != null) {
            builder.sslContext(trusting(Path.of(settings.sslCaLocation())));
        }
        this.http = builder.build();
    }

    private static String authorization(DecodeSettings.RegistrySettings settings)
            throws IOException {
        String userInfo = settings.userInfo();
        if (userInfo == null && settings.userInfoFile() != null) {
            userInfo = Files.readString(Path.of(settings.userInfoFile())).strip();
        }
        return userInfo == null ? null : "Basic " + Base64.getEncoder()
                .encodeToString(userInfo.getBytes(StandardCharsets.UTF_8));
    }

    /** An SSL context trusting the certificates of a PEM bundle. */
    private static SSLContext trusting(Path bundle) throws IOException {
        try (InputStream in = Files.newInputStream(bundle)) {
            KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
            store.load(null, null);
            int i = 0;
            for (Certificate cert : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                store.setCertificateEntry("ca-" + i++, cert);
            }
            TrustManagerFactory trust =
                    TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            trust.init(store);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, trust.getTrustManagers(), null);
            return context;
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot use the CA bundle " + bundle + ": " + e.getMessage(), e);
        }
    }

    @Override
    public String fetch(int schemaId) throws NotFound, IOException {
        HttpResponse<String> response = send(request("/schemas/ids/" + Integer.toUnsignedString(
                schemaId)).GET().build());
        if (response.statusCode() == 404) {
            throw new NotFound("the registry has no schema " + schemaId);
        }
        return body(response).get("schema").asText();
    }

    @Override
    public String latest(String subject) throws IOException {
        HttpResponse<String> response = send(request("/subjects/" + encode(subject)
                + "/versions/latest").GET().build());
        return response.statusCode() == 404 ? null : body(response).get("schema").asText();
    }

    @Override
    public int register(String subject, String schema) throws IOException {
        String payload = JSON.createObjectNode().put("schema", schema).toString();
        HttpResponse<String> response = send(request("/subjects/" + encode(subject) + "/versions")
                .header("Content-Type", CONTENT_TYPE)
                .POST(HttpRequest.BodyPublishers.ofString(payload)).build());
        return body(response).get("id").asInt();
    }

    private HttpRequest.Builder request(String path) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(base + path))
                .timeout(timeout).header("Accept", CONTENT_TYPE + ", application/json");
        return authorization == null ? builder : builder.header("Authorization", authorization);
    }

    private HttpResponse<String> send(HttpRequest request) throws IOException {
        try {
            return http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while calling the registry", e);
        }
    }

    private static JsonNode body(HttpResponse<String> response) throws IOException {
        if (response.statusCode() / 100 != 2) {
            throw new IOException("registry answered " + response.statusCode() + " to "
                    + response.request().method() + " " + response.request().uri() + ": "
                    + response.body());
        }
        return JSON.readTree(response.body());
    }

    private static String encode(String subject) {
        return URLEncoder.encode(subject, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
