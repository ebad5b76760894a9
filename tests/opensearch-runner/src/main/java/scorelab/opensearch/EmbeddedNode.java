package scorelab.opensearch;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;

import org.codelibs.opensearch.runner.OpenSearchRunner;
import org.opensearch.http.HttpServerTransport;
import org.opensearch.node.Node;
import org.opensearch.painless.PainlessPlugin;

/**
 * One single-node OpenSearch 2.19 cluster inside this JVM, for scorelab's engine tests.
 *
 * <p>Protocol (what tests/engine_search.rs relies on): stdout carries only protocol lines,
 * OpenSearch's own logs go to stderr. When the node is serving HTTP and the cluster is at least
 * yellow, one line is printed:
 *
 * <pre>READY port=PORT knn=true|false</pre>
 *
 * A failed start prints {@code FAILED <reason>} and exits 1. The node stops, and its temporary home
 * directory is deleted, on stdin EOF (the parent process died or closed the pipe) or on SIGTERM.
 *
 * <p>Arguments: {@code --port N} (0 or absent: a free port chosen here), {@code --base-path DIR}
 * (default: a fresh temp directory, deleted on exit), {@code --no-knn} (do not try the k-NN plugin),
 * {@code --verbose} (OpenSearch INFO logs on stderr).
 */
public final class EmbeddedNode {

    private static final String KNN_PLUGIN_CLASS = "org.opensearch.knn.plugin.KNNPlugin";

    /**
     * The real stdout. OpenSearch's log configurator replaces System.out/System.err with streams that feed
     * its loggers, so protocol lines must go through a stream opened on the file descriptor itself.
     */
    private static final PrintStream PROTOCOL =
            new PrintStream(new FileOutputStream(FileDescriptor.out), true, StandardCharsets.UTF_8);

    private EmbeddedNode() {}

    /** Exposes the runner's default module list (a protected constant). */
    private static final class Runner extends OpenSearchRunner {
        static String[] defaultModules() {
            return MODULE_TYPES.clone();
        }
    }

    public static void main(final String[] args) throws Exception {
        int port = 0;
        String basePath = null;
        boolean tryKnn = true;
        boolean verbose = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--port" -> port = Integer.parseInt(args[++i]);
                case "--base-path" -> basePath = args[++i];
                case "--no-knn" -> tryKnn = false;
                case "--verbose" -> verbose = true;
                default -> {
                    PROTOCOL.println("FAILED unknown argument " + args[i]);
                    System.exit(2);
                }
            }
        }
        final boolean deleteHome = basePath == null;
        final Path home = basePath == null ? Files.createTempDirectory("scorelab-opensearch") : Path.of(basePath);
        if (port == 0) {
            port = freePort();
        }

        boolean knn = tryKnn && classPresent(KNN_PLUGIN_CLASS);
        OpenSearchRunner runner;
        try {
            runner = start(home.resolve(knn ? "with-knn" : "core"), port, knn, verbose);
        } catch (final RuntimeException | Error e) {
            if (!knn) {
                fail(e, home, deleteHome);
                return;
            }
            // k-NN is optional: core-language parity must still run without it.
            System.err.println("k-NN plugin failed to load, starting without it: " + rootMessage(e));
            knn = false;
            try {
                runner = start(home.resolve("core"), port, false, verbose);
            } catch (final RuntimeException | Error e2) {
                fail(e2, home, deleteHome);
                return;
            }
        }
        final int boundPort = boundHttpPort(runner.node(), port);

        final OpenSearchRunner running = runner;
        final AtomicBoolean stopped = new AtomicBoolean(false);
        final Runnable stop = () -> {
            if (stopped.compareAndSet(false, true)) {
                try {
                    running.close();
                } catch (final IOException e) {
                    System.err.println("error closing the node: " + e.getMessage());
                }
                if (deleteHome) {
                    deleteTree(home);
                }
            }
        };
        Runtime.getRuntime().addShutdownHook(new Thread(stop, "scorelab-opensearch-stop"));

        PROTOCOL.println("READY port=" + boundPort + " knn=" + knn);

        // Block on stdin: EOF means the test harness is gone (or asked us to stop).
        final InputStream in = System.in;
        final byte[] buf = new byte[256];
        while (in.read(buf) >= 0) {
            // ignore input; only EOF matters
        }
        stop.run();
        System.exit(0);
    }

    private static OpenSearchRunner start(final Path base, final int port, final boolean knn, final boolean verbose)
            throws IOException {
        // A log4j2.properties in the node's config dir is used as-is by the runner: logs to stderr, so stdout
        // stays a clean protocol channel.
        final Path conf = base.resolve("node_1").resolve("config");
        Files.createDirectories(conf);
        Files.writeString(conf.resolve("log4j2.properties"), log4jConfig(verbose), StandardCharsets.UTF_8);

        final OpenSearchRunner runner = new Runner();
        runner.setMaxHttpPort(-1);
        runner.onBuild((number, settings) -> {
            settings.put("network.host", "127.0.0.1");
            settings.put("http.port", String.valueOf(port));
            settings.put("transport.port", "0");
            settings.put("discovery.type", "single-node");
            // Test machines often have a nearly full disk; the flood-stage watermark would block writes.
            settings.put("cluster.routing.allocation.disk.threshold_enabled", false);
            // The parity suite compiles dozens of distinct scripts in seconds. OpenSearch 2.19 accepts
            // "unlimited" only for the per-context settings, so the general rate is just set very high.
            settings.put("script.max_compilations_rate", "100000/1m");
            settings.put("script.cache.max_size", 10000);
            settings.put("action.auto_create_index", false);
            settings.put("bootstrap.memory_lock", false);
            settings.putList("node.roles", "cluster_manager", "data", "ingest");
        });
        final OpenSearchRunner.Configs configs = new OpenSearchRunner.Configs()
                .basePath(base.toString())
                .numOfNode(1)
                .clusterName("scorelab-test")
                .useLogger()
                .printOnFailure();
        if (knn) {
            configs.pluginTypes(KNN_PLUGIN_CLASS);
            // Painless must see k-NN's allowlist extension; see PainlessWithExtensions for why.
            final String modules = Arrays.stream(Runner.defaultModules())
                    .map(m -> m.equals(PainlessPlugin.class.getName()) ? PainlessWithExtensions.class.getName() : m)
                    .collect(Collectors.joining(","));
            configs.moduleTypes(modules);
        }
        try {
            runner.build(configs);
            runner.ensureYellow();
        } catch (final RuntimeException | Error e) {
            try {
                runner.close();
            } catch (final IOException | RuntimeException ignored) {
                // the start already failed; report that failure
            }
            throw e;
        }
        return runner;
    }

    private static String log4jConfig(final boolean verbose) {
        return String.join("\n",
                "status = error",
                "appender.console.type = Console",
                "appender.console.name = console",
                "appender.console.target = SYSTEM_ERR",
                "appender.console.layout.type = PatternLayout",
                "appender.console.layout.pattern = [%d{ISO8601}][%-5p][%-25c{1.}] %m%n",
                "rootLogger.level = " + (verbose ? "info" : "warn"),
                "rootLogger.appenderRef.console.ref = console",
                // Deprecation warnings (node.roles names, etc.) are noise for a test node.
                "logger.deprecation.name = org.opensearch.deprecation",
                "logger.deprecation.level = error",
                "");
    }

    private static int boundHttpPort(final Node node, final int fallback) {
        try {
            return node.injector().getInstance(HttpServerTransport.class).boundAddress().publishAddress().getPort();
        } catch (final RuntimeException e) {
            return fallback;
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            return socket.getLocalPort();
        }
    }

    private static boolean classPresent(final String name) {
        try {
            Class.forName(name, false, EmbeddedNode.class.getClassLoader());
            return true;
        } catch (final ClassNotFoundException | LinkageError e) {
            return false;
        }
    }

    private static String rootMessage(final Throwable e) {
        Throwable t = e;
        final StringBuilder chain = new StringBuilder(String.valueOf(e));
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
            chain.append(" <- ").append(t);
        }
        return chain.toString().replace('\n', ' ');
    }

    private static void fail(final Throwable e, final Path home, final boolean deleteHome) {
        PROTOCOL.println("FAILED " + rootMessage(e));
        e.printStackTrace();
        if (deleteHome) {
            deleteTree(home);
        }
        System.exit(1);
    }

    private static void deleteTree(final Path root) {
        try (var paths = Files.walk(root)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (final IOException e) {
            System.err.println("could not delete " + root + ": " + e.getMessage());
        }
    }
}
