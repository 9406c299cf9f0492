package qwen2vl4j.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import qwen2vl4j.cli.bench.BenchCommand;
import qwen2vl4j.cli.bench.PreprocessBenchCommand;
import qwen2vl4j.cli.bench.QuantBenchCommand;
import qwen2vl4j.cli.bench.ServeBenchCommand;
import qwen2vl4j.cli.bench.TokenizerBenchCommand;

/** Entry point of {@code bin/qwen2vl4j}: one subcommand per job. */
@Command(name = "qwen2vl4j", mixinStandardHelpOptions = true, version = "qwen2vl4j 0.1.0",
        description = {"Qwen2-VL-2B-Instruct in pure Java: tokenize, render templates, preprocess, run, chat.",
                "Many images on Apache Spark: bin/qwen2vl4j batch --help (the spark module, run by the launcher)."},
        subcommands = {
                CommandLine.HelpCommand.class,
                TokenizeCommand.class,
                TokenizerBenchCommand.class,
                TemplateCommand.class,
                PreprocessCommand.class,
                PreprocessBenchCommand.class,
                PullCommand.class,
                VideoInfoCommand.class,
                RunCommand.class,
                ChatCommand.class,
                ServeCommand.class,
                ServeBenchCommand.class,
                BenchCommand.class,
                QuantBenchCommand.class,
                QuantizeCommand.class,
        })
public final class Main implements Runnable {
    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The configured command line; errors print one line on stderr and exit non-zero. */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        cl.setParameterExceptionHandler((ex, args) -> {
            CommandLine cmd = ex.getCommandLine();
            cmd.getErr().println("qwen2vl4j: " + ex.getMessage() + " (see: qwen2vl4j " + cmd.getCommandName() + " --help)");
            return 2;
        });
        cl.setExecutionExceptionHandler((ex, cmd, parseResult) -> {
            String msg = ex.getMessage() == null ? ex.toString() : ex.getMessage();
            cmd.getErr().println("qwen2vl4j: " + msg);
            if (System.getenv("QWEN2VL4J_DEBUG") != null) ex.printStackTrace(cmd.getErr());
            return 1;
        });
        return cl;
    }
}
