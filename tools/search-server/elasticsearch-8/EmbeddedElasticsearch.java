// In-process single-node Elasticsearch 8.x for logsift's integration tests.
// Started by tools/search-server/start elasticsearch-8 PORT [DATA_DIR]; see README.md there.
//
// Usage: java -cp CLASSPATH org.elasticsearch.node.EmbeddedElasticsearch PORT HOME_DIR DATA_DIR [key=value ...]
// Elasticsearch 8's Node takes a PluginsLoader (module layers read from a distribution's directories) and
// builds itself through the package-private NodeConstruction/NodeServiceProvider, so this class lives in
// org.elasticsearch.node (as the test framework's MockNode does) and hands the node a PluginsService that
// loads plugin classes from the classpath. The distribution's entry point (Elasticsearch.main: entitlement
// agent, security manager, native checks) is not used.
package org.elasticsearch.node;

import org.elasticsearch.common.logging.LogConfigurator;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.env.Environment;
import org.elasticsearch.plugins.ClasspathPluginsService;
import org.elasticsearch.plugins.Plugin;
import org.elasticsearch.plugins.PluginsLoader;
import org.elasticsearch.plugins.PluginsService;

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

public final class EmbeddedElasticsearch {
    /** Plugin classes tried in order; those whose jar is not on the classpath are skipped. */
    static final String[] PLUGINS = {
        "org.elasticsearch.transport.netty4.Netty4Plugin",
        "logsift.searchserver.RootInfoPlugin", // GET /: the rest-root module is not on Maven Central
    };

    static final class EmbeddedNode extends Node {
        EmbeddedNode(Environment environment, Collection<Class<? extends Plugin>> plugins) {
            super(NodeConstruction.prepareConstruction(environment, ClasspathPluginsService.emptyLoader(), new NodeServiceProvider() {
                @Override
                PluginsService newPluginService(Environment env, PluginsLoader loader) {
                    return new ClasspathPluginsService(env.settings(), env, loader, plugins);
                }
            }, true));
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
            System.err.println("usage: EmbeddedElasticsearch PORT HOME_DIR DATA_DIR [key=value ...]");
            System.exit(2);
        }
        // Bridge Elasticsearch's own logging API to log4j (configured by -Dlog4j.configurationFile), as tests do.
        LogConfigurator.configureESLogging();
        LogConfigurator.setNodeName("node-0");
        LogConfigurator.setClusterName("logsift-test");
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
