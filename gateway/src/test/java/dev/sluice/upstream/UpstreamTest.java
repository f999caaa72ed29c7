package dev.sluice.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.config.ConfigLoader;
import dev.sluice.config.GatewayConfig;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Choosing proxies: strategies, in/out of service, the attempts budget. */
class UpstreamTest {

    static Upstream upstream(String extra) throws Exception {
        GatewayConfig c = ConfigLoader.parse("t.yaml", """
                listeners: [{ listen: 127.0.0.1:0 }]
                clients: [127.0.0.0/8]
                upstreams:
                  corp:
                    proxies: [http://10.0.0.1:3128, http://10.0.0.2:3128, http://10.0.0.3:3128]
                """ + extra.indent(4), null);
        return Upstream.of(c.upstreams().get("corp"), new KerberosClients());
    }

    static List<String> order(Upstream u) {
        return u.candidates().order().stream().map(Proxy::label).toList();
    }

    @Test
    void failoverKeepsListOrderAndPutsProxiesOutOfServiceLast() throws Exception {
        Upstream u = upstream("health: { fall: 2, rise: 2 }");
        assertThat(order(u)).containsExactly("10.0.0.1:3128", "10.0.0.2:3128", "10.0.0.3:3128");
        Proxy first = u.proxies().get(0);
        first.failed("refused");
        assertThat(first.isUp()).as("one failure is not enough with fall 2").isTrue();
        first.failed("refused");
        assertThat(first.isUp()).isFalse();
        assertThat(order(u)).containsExactly("10.0.0.2:3128", "10.0.0.3:3128", "10.0.0.1:3128");
        first.succeeded(5);
        assertThat(first.isUp()).isFalse();
        first.succeeded(5);
        assertThat(first.isUp()).as("back after rise 2").isTrue();
        assertThat(order(u).get(0)).isEqualTo("10.0.0.1:3128");
    }

    @Test
    void whenEveryProxyIsOutAllAreStillTried() throws Exception {
        Upstream u = upstream("health: { fall: 1 }");
        u.proxies().forEach(p -> p.failed("timeout"));
        Upstream.Candidates c = u.candidates();
        assertThat(c.allDown()).isTrue();
        assertThat(c.order()).hasSize(3);
    }

    @Test
    void roundRobinRotatesOverHealthyProxies() throws Exception {
        Upstream u = upstream("strategy: round_robin");
        assertThat(List.of(order(u).get(0), order(u).get(0), order(u).get(0), order(u).get(0)))
                .containsExactly("10.0.0.1:3128", "10.0.0.2:3128", "10.0.0.3:3128", "10.0.0.1:3128");
    }

    @Test
    void leastLatencyPrefersTheFastestButStillTriesOthers() throws Exception {
        Upstream u = upstream("strategy: least_latency");
        u.proxies().get(0).succeeded(80);
        u.proxies().get(1).succeeded(5);
        u.proxies().get(2).succeeded(40);
        Set<String> firsts = new HashSet<>();
        int fastestFirst = 0;
        for (int i = 0; i < 500; i++) {
            String first = order(u).get(0);
            firsts.add(first);
            if (first.equals("10.0.0.2:3128")) {
                fastestFirst++;
            }
        }
        assertThat(fastestFirst).isGreaterThan(400);
        assertThat(firsts).as("a little randomness").contains("10.0.0.3:3128");
    }

    @Test
    void attemptsBudgetLimitsTheCandidates() throws Exception {
        assertThat(order(upstream("retry: { attempts: 2, deadline: 3s }"))).hasSize(2);
    }
}
