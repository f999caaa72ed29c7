package dev.sluice;

import java.nio.file.Path;
import picocli.CommandLine;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * Where a command finds its configuration: {@code --config FILE}, or FILE as the last argument (as {@code nginx -t}
 * and {@code squid -k parse} have a default, so does Sluice: {@value #DEFAULT}).
 */
final class ConfigArgument {
    static final String DEFAULT = "/etc/sluice/gateway.yaml";

    @Spec(Spec.Target.MIXEE)
    CommandLine.Model.CommandSpec mixee;

    @Option(names = {"-c", "--config"}, paramLabel = "FILE", description = "configuration file (default: " + DEFAULT + ")")
    Path option;

    @Parameters(index = "0", arity = "0..1", paramLabel = "FILE", description = "the configuration file, as with --config")
    Path positional;

    boolean isDefault() {
        return option == null && positional == null && outer() == null;
    }

    /**
     * The file to read. Every spelling given must name the same file: {@code --config} or FILE after the command,
     * and {@code sluice --config FILE COMMAND} (the option before the command, which is the top level's).
     */
    Path path() {
        Path chosen = null;
        for (Path given : new Path[] {outer(), option, positional}) {
            if (given != null && chosen != null && !given.equals(chosen)) {
                throw new CommandLine.ParameterException(mixee.commandLine(), "two configuration files given ("
                        + chosen + " and " + given + "): give one");
            }
            chosen = given != null ? given : chosen;
        }
        return chosen != null ? chosen : Path.of(DEFAULT);
    }

    /** {@code --config} given before the command, to {@code sluice} itself. */
    private Path outer() {
        CommandLine parent = mixee == null ? null : mixee.commandLine().getParent();
        return parent != null && parent.getCommand() instanceof Sluice top ? top.config : null;
    }
}
