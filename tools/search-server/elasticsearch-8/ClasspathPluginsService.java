// Part of the in-process Elasticsearch 8 launcher (EmbeddedElasticsearch.java beside it).
// In package org.elasticsearch.plugins because LoadedPlugin and loadPlugin are package-private there:
// this does what the test framework's MockPluginsService does, loading plugin classes from the classpath
// instead of from a distribution's modules/ and plugins/ directories.
package org.elasticsearch.plugins;

import org.elasticsearch.Build;
import org.elasticsearch.action.admin.cluster.node.info.PluginsAndModules;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.env.Environment;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;

public final class ClasspathPluginsService extends PluginsService {
    private final List<LoadedPlugin> classpathPlugins;

    public ClasspathPluginsService(Settings settings, Environment environment, PluginsLoader loader,
                                   Collection<Class<? extends Plugin>> plugins) {
        super(settings, environment.configDir(), loader);
        List<LoadedPlugin> loaded = new ArrayList<>();
        for (Class<? extends Plugin> pluginClass : plugins) {
            Plugin plugin = loadPlugin(pluginClass, settings, environment.configDir());
            PluginDescriptor descriptor = new PluginDescriptor(pluginClass.getName(), "classpath plugin", "NA",
                Build.current().version(), Integer.toString(Runtime.version().feature()), pluginClass.getName(), null,
                List.of(), false, false, false, false);
            loaded.add(new LoadedPlugin(descriptor, plugin, pluginClass.getClassLoader()));
        }
        this.classpathPlugins = List.copyOf(loaded);
    }

    /**
     * A loader with no module or plugin bundles. PluginsLoader.createPluginsLoader cannot be used: it adds
     * qualified exports of the server module, which is unnamed when the server jar is on the classpath.
     */
    public static PluginsLoader emptyLoader() {
        return new PluginsLoader(Set.of(), Set.of(), Map.of());
    }

    @Override
    protected List<LoadedPlugin> plugins() {
        return classpathPlugins;
    }

    @Override
    public PluginsAndModules info() {
        return new PluginsAndModules(classpathPlugins.stream().map(p -> new PluginRuntimeInfo(p.descriptor())).toList(), List.of());
    }
}
