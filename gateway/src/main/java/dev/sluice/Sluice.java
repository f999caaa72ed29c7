package dev.sluice;

import dev.sluice.config.ConfigError;
import dev.sluice.config.ConfigException;
import dev.sluice.config.GatewayConfig;
import dev.sluice.config.ListenerConfig;
import dev.sluice.net.HostPort;
import dev.sluice.net.IpLiteral;
import dev.sluice.observe.logging.JournalPriority;
import dev.sluice.observe.systemd.Systemd;
import dev.sluice.session.CompiledConfig;
import dev.sluice.upstream.KerberosClients;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import sun.misc.Signal;

/**
 * The command line: {@code run} (the default with --config), {@code check}, {@code explain}, {@code version}; each
 * takes {@code -h}/{@code --help} and {@code -V}/{@code --version}, and the configuration as {@code --config FILE}
 * or as its last argument (default {@value ConfigArgument#DEFAULT}).
 */
@Command(name = "sluice", mixinStandardHelpOptions = true, versionProvider = Sluice.VersionProvider.class,
        footer = "%n\"sluice COMMAND --help\" shows a command's options; each reads " + ConfigArgument.DEFAULT
                + " unless given --config FILE or FILE.",
        description = "Transparent HTTPS egress gateway: reads the SNI, applies the rules, CONNECTs by name "
                + "through the corporate proxy.",
        subcommands = {Sluice.Run.class, Sluice.Check.class, Explain.class, Sluice.VersionCommand.class,
                CommandLine.HelpCommand.class})
public final class Sluice implements Callable<Integer> {
    static final int OK = 0;
    static final int INVALID = 1;
    static final int FAILED = 2;

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = {"-c", "--config"}, paramLabel = "FILE", description = "configuration file; with no command, runs "
            + "the gateway (as \"sluice run FILE\")")
    Path config;

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    static CommandLine commandLine() {
        return new CommandLine(new Sluice());
    }

    @Override
    public Integer call() throws Exception {
        if (config == null) {
            spec.commandLine().usage(spec.commandLine().getErr());
            return FAILED;
        }
        Run run = new Run();
        run.config = new ConfigArgument();
        run.config.option = config;
        run.spec = spec;
        return run.call();
    }

    /** The configuration read and compiled once (TLS material included), or null with every error printed. */
    static CompiledConfig load(ConfigArgument config, PrintWriter err) {
        return load(config, err, new KerberosClients());
    }

    static CompiledConfig load(ConfigArgument config, PrintWriter err, KerberosClients kerberos) {
        Path file = config.path();
        try {
            return CompiledConfig.load(file, kerberos);
        } catch (ConfigException e) {
            // under systemd (ExecStartPre's check) each is an error in the journal: journalctl -p err shows them
            for (ConfigError error : e.errors()) {
                err.println(JournalPriority.errorLine(error.toString()));
            }
            if (config.isDefault() && !Files.exists(file)) {
                err.println(JournalPriority.errorLine("(the default configuration file; name another with --config "
                        + "FILE or as the last argument)"));
            }
            err.flush();
            return null;
        }
    }

    @Command(name = "run", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class, description = "Run the gateway in the foreground until stopped (SIGTERM or SIGINT: "
            + "stop accepting, let open tunnels finish for up to shutdown.drain, then close the rest); SIGHUP "
            + "re-reads the configuration and reopens the access-log file; SIGUSR1 only reopens the access-log file "
            + "(logrotate).")
    static final class Run implements Callable<Integer> {
        private static final Logger LOG = LoggerFactory.getLogger("dev.sluice.Run"); // "Run: ..." in the log

        @Spec
        CommandLine.Model.CommandSpec spec;

        @CommandLine.Mixin
        ConfigArgument config;

        @Override
        public Integer call() throws Exception {
            // First of all: SIGHUP's and SIGUSR1's default is to end the JVM, and logrotate or a reload may signal
            // a gateway that is still starting. Until it serves, they do nothing (the start reads the file anyway).
            AtomicReference<Gateway> running = new AtomicReference<>();
            AtomicReference<Reloader> reloads = new AtomicReference<>();
            Signal.handle(new Signal("HUP"), sig -> {
                Reloader r = reloads.get();
                if (r != null) {
                    r.reload();
                }
            });
            Signal.handle(new Signal("USR1"), sig -> { // logrotate: the access-log file only, no reload
                Gateway g = running.get();
                if (g != null) {
                    g.reopenLogs();
                }
            });
            Path file = config.path();
            KerberosClients kerberos = new KerberosClients();
            CompiledConfig compiled = load(config, spec.commandLine().getErr(), kerberos);
            if (compiled == null) {
                return INVALID;
            }
            GatewayConfig cfg = compiled.config();
            // the hook goes in first: a signal may come as soon as the first listener is bound
            Systemd systemd = Systemd.fromEnvironment();
            CountDownLatch stopped = new CountDownLatch(1);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                LOG.info("stopping");
                systemd.stopping();
                Gateway g = running.get();
                if (g != null) {
                    g.stop(g.compiled().config().operations().drain());
                }
                systemd.close();
                LOG.info("stopped");
                stopped.countDown();
            }, "sluice-shutdown"));
            Gateway gateway;
            try {
                gateway = Gateway.create(compiled, kerberos); // applies the configured log levels
                LOG.info("{} starting with {}", Version.describe(), file);
                cfg.warnings().forEach(w -> LOG.warn("{}", w));
                running.set(gateway);
                gateway.start();
            } catch (java.io.IOException | IllegalStateException e) {
                // IllegalStateException: Netty could not build its event loops (out of descriptors, no memory)
                StringBuilder why = new StringBuilder(String.valueOf(e.getMessage()));
                for (Throwable c = e.getCause(); c != null && e instanceof IllegalStateException; c = c.getCause()) {
                    why.append(": ").append(c.getMessage());
                }
                LOG.error("cannot start: {}", why);
                return FAILED;
            }
            reloads.set(new Reloader(file, gateway, systemd)); // before READY: a reload may follow it
            systemd.ready("serving: " + cfg.summary());
            systemd.watch(gateway.eventLoops());
            stopped.await();
            return OK;
        }
    }

    @Command(name = "check", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class, description = "Validate a configuration: exit 0 and a summary, or exit 1 and every "
            + "error as FILE:LINE:COL: message.")
    static final class Check implements Callable<Integer> {
        @Spec
        CommandLine.Model.CommandSpec spec;

        @CommandLine.Mixin
        ConfigArgument config;

        @Override
        public Integer call() {
            CompiledConfig compiled = load(config, spec.commandLine().getErr());
            if (compiled == null) {
                return INVALID;
            }
            PrintWriter err = spec.commandLine().getErr();
            compiled.config().warnings().forEach(w -> err.println(JournalPriority.warningLine(w.toString())));
            err.flush();
            spec.commandLine().getOut().println(compiled.config().summary());
            spec.commandLine().getOut().flush();
            return OK;
        }
    }

    @Command(name = "version", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
            description = "Print the version, Netty's, Java's and the I/O transport.")
    static final class VersionCommand implements Callable<Integer> {
        @Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            spec.commandLine().getOut().println(Version.describe());
            spec.commandLine().getOut().flush();
            return OK;
        }
    }

    static final class VersionProvider implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {Version.describe()};
        }
    }
}
