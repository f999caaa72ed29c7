package dev.sluice.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * One scrape of the admin listener's {@code /metrics} (Prometheus text format), parsed: each sample by name and
 * labels, and as the series text it was written with ({@code name{labels}}).
 */
public final class Metrics {
    private static final Pattern SAMPLE = Pattern.compile("^([A-Za-z_:][A-Za-z0-9_:]*)(?:\\{(.*)\\})?\\s+(\\S+)");
    private static final Pattern LABEL = Pattern.compile("([A-Za-z_][A-Za-z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"");

    /** One sample of the text format. */
    public record Sample(String name, Map<String, String> labels, double value) {
        public String series() {
            return name + labels;
        }
    }

    public final String contentType;
    public final String text;
    public final List<Sample> samples = new ArrayList<>();
    /** Names from the {@code # TYPE} lines. */
    public final Set<String> families = new TreeSet<>();
    /** Each sample by the series text as written ({@code name} or {@code name{a="x",b="y"}}). */
    private final Map<String, Double> written = new LinkedHashMap<>();

    private Metrics(String contentType, String text) {
        this.contentType = contentType;
        this.text = text;
        for (String line : text.lines().toList()) {
            if (line.startsWith("# TYPE ")) {
                families.add(line.split(" ")[2]);
            } else if (!line.startsWith("#") && !line.isBlank()) {
                Matcher m = SAMPLE.matcher(line);
                assertThat(m.find()).as("a sample line: " + line).isTrue();
                Map<String, String> labels = new TreeMap<>();
                if (m.group(2) != null) {
                    Matcher l = LABEL.matcher(m.group(2));
                    while (l.find()) {
                        labels.put(l.group(1), l.group(2));
                    }
                }
                double value = Double.parseDouble(m.group(3));
                samples.add(new Sample(m.group(1), labels, value));
                written.put(line.substring(0, line.lastIndexOf(' ')), value);
            }
        }
    }

    /** Parses an answer fetched some other way (a test of the admin server's HTTP). */
    public static Metrics parse(String contentType, String text) {
        return new Metrics(contentType, text);
    }

    /**
     * GET /metrics from the admin listener on 127.0.0.1: one request on its own connection with
     * {@code Connection: close}, so scraping leaves no descriptor open in the gateway. Fails unless 200.
     */
    public static Metrics scrape(int adminPort) throws IOException {
        try (Socket s = new Socket("127.0.0.1", adminPort)) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write(("GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            String answer = new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(answer).startsWith("HTTP/1.1 200");
            int body = answer.indexOf("\r\n\r\n");
            String contentType = answer.substring(0, body).lines()
                    .filter(h -> h.regionMatches(true, 0, "Content-Type:", 0, 13))
                    .map(h -> h.substring(13).trim()).findFirst().orElse("");
            return new Metrics(contentType, answer.substring(body + 4));
        }
    }

    public static Metrics scrape(InetSocketAddress admin) throws IOException {
        assertThat(admin).as("the admin listener is bound").isNotNull();
        return scrape(admin.getPort());
    }

    private List<Sample> matching(String name, String... labelPairs) {
        return samples.stream().filter(s -> s.name().equals(name)).filter(s -> {
            for (int i = 0; i < labelPairs.length; i += 2) {
                if (!labelPairs[i + 1].equals(s.labels().get(labelPairs[i]))) {
                    return false;
                }
            }
            return true;
        }).toList();
    }

    /** The sum over the samples of {@code name} that carry these label values (0 when there is none). */
    public double sum(String name, String... labelPairs) {
        return matching(name, labelPairs).stream().mapToDouble(Sample::value).sum();
    }

    /** The value of the one sample of {@code name} with these label values; fails unless there is exactly one. */
    public double value(String name, String... labelPairs) {
        List<Sample> found = matching(name, labelPairs);
        assertThat(found).as(name + " " + List.of(labelPairs) + " in\n" + text).hasSize(1);
        return found.get(0).value();
    }

    /** The sample written as {@code series} ({@code name{a="x"}}, labels as the gateway orders them); fails if absent. */
    public double sample(String series) {
        Double v = written.get(series);
        assertThat(v).as("metric " + series + " in\n" + text).isNotNull();
        return v;
    }

    /** The sample written as {@code series}, or {@code absent} when it is not there (not yet counted). */
    public double sample(String series, double absent) {
        return written.getOrDefault(series, absent);
    }

    /** Every series, as {@code name{labels}} with the labels sorted. */
    public Set<String> series() {
        return samples.stream().map(Sample::series).collect(Collectors.toCollection(TreeSet::new));
    }

    /** Lines of the answer that start with {@code sluice_}. */
    public long sluiceLines() {
        return text.lines().filter(l -> l.startsWith("sluice_")).count();
    }
}
