// In-process single-node OpenSearch 3.x for logsift's integration tests.
// Started by tools/search-server/start opensearch-3 PORT [DATA_DIR]; see README.md there.
//
// Usage: java -cp CLASSPATH EmbeddedOpenSearch PORT HOME_DIR DATA_DIR [key=value ...]
// The modules are not installed from a distribution: their jars are on the classpath and
// their plugin classes are handed to Node's protected constructor (what MockNode does).

import org.opensearch.Version;
import org.opensearch.common.settings.Settings;
import org.opensearch.env.Environment;
import org.opensearch.node.InternalSettingsPreparer;
import org.opensearch.node.Node;
import org.opensearch.plugins.Plugin;
import org.opensearch.plugins.PluginInfo;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

public final class EmbeddedOpenSearch {
    /** Plugin classes tried in order; those whose module jar is not on the classpath are skipped. */
    static final String[] PLUGINS = {
        "org.opensearch.transport.Netty4ModulePlugin",
        "org.opensearch.index.reindex.ReindexModulePlugin",
        "org.opensearch.painless.PainlessModulePlugin",
        "org.opensearch.analysis.common.CommonAnalysisModulePlugin",
        "org.opensearch.index.mapper.MapperExtrasModulePlugin",
        "org.opensearch.search.aggregations.matrix.MatrixAggregationModulePlugin",
        "org.opensearch.join.ParentJoinModulePlugin",
    };

    static final class EmbeddedNode extends Node {
        EmbeddedNode(Environment environment, Collection<Class<? extends Plugin>> plugins) {
            super(environment, infos(plugins), true);
        }

        // 3.x takes PluginInfo rather than classes (as its MockNode does): a classpath plugin of this version.
        static List<PluginInfo> infos(Collection<Class<? extends Plugin>> plugins) {
            List<PluginInfo> infos = new ArrayList<>();
            for (Class<? extends Plugin> p : plugins) {
                infos.add(new PluginInfo(p.getName(), "classpath plugin", "NA", Version.CURRENT, "21", p.getName(), null,
                    Collections.emptyList(), false));
            }
            return infos;
        }
    }

    /**
     * Removes -Dsearch.server.tmp (the start script's temporary directory: home, and data unless DATA_DIR was
     * given) once the node is closed. The script removes it too, but cannot when it was killed with SIGKILL.
     */
    static void deleteTemporaryDir() {
        String tmp = System.getProperty("search.server.tmp");
        if (tmp == null || tmp.isEmpty()) {
            return;
        }
        try (Stream<Path> paths = Files.walk(Paths.get(tmp))) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException | UncheckedIOException e) {
            System.err.println("search-server: could not remove " + tmp + ": " + e);
        }
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 3) {
            System.err.println("usage: EmbeddedOpenSearch PORT HOME_DIR DATA_DIR [key=value ...]");
            System.exit(2);
        }
        Path home = Paths.get(args[1]);
        Files.createDirectories(home.resolve("config"));
        Files.createDirectories(home.resolve("plugins"));
        Files.createDirectories(home.resolve("modules"));
        Settings.Builder settings = Settings.builder()
            .put("cluster.name", "logsift-test")
            .put("node.name", "node-0")
            .put("path.home", home.toString())
            .put("path.data", args[2])
            .put("network.host", "127.0.0.1")
            .put("http.port", args[0])
            .put("transport.port", "0")
            .put("discovery.type", "single-node")
            .put("cluster.routing.allocation.disk.threshold_enabled", false)
            .put("indices.breaker.total.use_real_memory", false);
        for (int i = 3; i < args.length; i++) {
            int eq = args[i].indexOf('=');
            if (eq <= 0) {
                System.err.println("bad setting (want key=value): " + args[i]);
                System.exit(2);
            }
            settings.put(args[i].substring(0, eq), args[i].substring(eq + 1));
        }

        List<Class<? extends Plugin>> plugins = new ArrayList<>();
        for (String name : PLUGINS) {
            try {
                plugins.add(Class.forName(name).asSubclass(Plugin.class));
            } catch (ClassNotFoundException e) {
                System.err.println("search-server: plugin not on the classpath, skipped: " + name);
            }
        }
        System.err.println("search-server: plugins " + plugins);

        Environment env = InternalSettingsPreparer.prepareEnvironment(settings.build(), Collections.emptyMap(), null, () -> "node-0");
        Node node = new EmbeddedNode(env, plugins);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                node.close();
                node.awaitClose(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                System.err.println("search-server: close failed: " + e);
            } finally {
                deleteTemporaryDir();
                stopped.countDown();
            }
        }, "search-server-shutdown"));
        node.start();
        // Exit when the process that started us (tools/search-server/start) is gone, even if it was SIGKILLed.
        ProcessHandle.current().parent().ifPresent(p -> p.onExit().thenRun(() -> System.exit(0)));
        stopped.await(); // the node's threads are daemons: keep the JVM alive until shutdown
    }
}
