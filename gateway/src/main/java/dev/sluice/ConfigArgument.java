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
        return option == null && positional == null;
    }

    /** The file to read; both spellings at once must name the same file. */
    Path path() {
        if (option != null && positional != null && !option.equals(positional)) {
            throw new CommandLine.ParameterException(mixee.commandLine(), "two configuration files given (--config "
                    + option + " and " + positional + "): give one");
        }
        return option != null ? option : positional != null ? positional : Path.of(DEFAULT);
    }
}
