// Starts an N-node OpenSearch cluster in this JVM on 127.0.0.1 and obeys stop/start-node commands dropped in a control directory.
package gkss.local;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.codelibs.opensearch.runner.OpenSearchRunner;
import org.opensearch.node.Node;

/**
 * Usage: SearchClusterRunner -basePath DIR -numOfNode N -httpPort P [-clusterName NAME] [-controlDir DIR]
 *
 * Node i (1-based) serves HTTP on P+i-1 and transport on P+100+i-1, bound to 127.0.0.1 only.
 * Control: write a file NAME.cmd holding "stop-node I", "start-node I", "nodes" or "shutdown"
 * into the control directory; the answer appears as NAME.out ("ok ..." or "error ...").
 */
public final class SearchClusterRunner {

    private SearchClusterRunner() {
    }

    public static void main(final String[] args) throws Exception {
        String basePath = null;
        String clusterName = "gkss-local";
        String controlDir = null;
        int nodes = 1;
        int httpPort = 9201;
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "-basePath" -> basePath = args[i + 1];
                case "-numOfNode" -> nodes = Integer.parseInt(args[i + 1]);
                case "-httpPort" -> httpPort = Integer.parseInt(args[i + 1]);
                case "-clusterName" -> clusterName = args[i + 1];
                case "-controlDir" -> controlDir = args[i + 1];
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        if (basePath == null || nodes < 1) {
            throw new IllegalArgumentException("need -basePath DIR and -numOfNode >= 1");
        }
        final Path control = Paths.get(controlDir != null ? controlDir : basePath + "/control");
        Files.createDirectories(control);

        final int nodeCount = nodes;
        final int firstHttp = httpPort;
        final int firstTransport = httpPort + 100;
        final List<String> seeds = new ArrayList<>();
        for (int i = 0; i < nodes; i++) {
            seeds.add("127.0.0.1:" + (firstTransport + i));
        }

        final OpenSearchRunner runner = new OpenSearchRunner();
        runner.setMaxHttpPort(-1); // ports are fixed below; skip the runner's port probing
        runner.onBuild((number, settings) -> {
            settings.put("network.host", "127.0.0.1");
            settings.put("http.port", String.valueOf(firstHttp + number - 1));
            settings.put("transport.port", String.valueOf(firstTransport + number - 1));
            settings.putList("discovery.seed_hosts", seeds);
            // a nearly full developer disk must not block shard allocation
            settings.put("cluster.routing.allocation.disk.threshold_enabled", false);
            // a single node cannot hold replicas: default them to 0 there so new indices stay green
            settings.put("cluster.default_number_of_replicas", nodeCount > 1 ? 1 : 0);
        });

        final Object lock = new Object();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            synchronized (lock) {
                closeQuietly(runner);
            }
        }, "gkss-shutdown"));

        runner.build("-basePath", basePath, "-numOfNode", String.valueOf(nodes),
                "-baseHttpPort", String.valueOf(firstHttp - 1), "-clusterName", clusterName);
        System.out.println("gkss: cluster started, " + nodes + " node(s), first HTTP port " + firstHttp);

        while (true) {
            try (DirectoryStream<Path> cmds = Files.newDirectoryStream(control, "*.cmd")) {
                for (final Path cmd : cmds) {
                    final String line = Files.readString(cmd, StandardCharsets.UTF_8).trim();
                    Files.deleteIfExists(cmd);
                    String answer;
                    synchronized (lock) {
                        answer = execute(runner, line);
                    }
                    System.out.println("gkss: control '" + line + "' -> " + answer);
                    final String name = cmd.getFileName().toString().replaceFirst("\\.cmd$", "");
                    final Path tmp = control.resolve(name + ".tmp");
                    Files.writeString(tmp, answer + "\n", StandardCharsets.UTF_8);
                    Files.move(tmp, control.resolve(name + ".out"), StandardCopyOption.ATOMIC_MOVE);
                    if (line.equals("shutdown")) {
                        System.exit(0);
                    }
                }
            }
            Thread.sleep(200);
        }
    }

    private static String execute(final OpenSearchRunner runner, final String line) {
        final String[] words = line.split("\\s+");
        try {
            switch (words[0]) {
                case "stop-node": {
                    final Node node = node(runner, words);
                    if (node.isClosed()) {
                        return "ok node " + words[1] + " already stopped";
                    }
                    node.close();
                    if (!node.awaitClose(30, TimeUnit.SECONDS)) {
                        return "error node " + words[1] + " did not close within 30s";
                    }
                    return "ok node " + words[1] + " stopped";
                }
                case "start-node": {
                    final Node node = node(runner, words);
                    if (!node.isClosed()) {
                        return "ok node " + words[1] + " already running";
                    }
                    return runner.startNode(Integer.parseInt(words[1]) - 1)
                            ? "ok node " + words[1] + " started"
                            : "error node " + words[1] + " failed to start (see log)";
                }
                case "nodes": {
                    final StringBuilder sb = new StringBuilder("ok");
                    for (int i = 0; i < runner.getNodeSize(); i++) {
                        sb.append(' ').append(i + 1).append('=')
                                .append(runner.getNode(i).isClosed() ? "stopped" : "running");
                    }
                    return sb.toString();
                }
                case "shutdown":
                    closeQuietly(runner);
                    return "ok shut down";
                default:
                    return "error unknown command '" + line + "'";
            }
        } catch (final Exception e) {
            return "error " + e;
        }
    }

    private static Node node(final OpenSearchRunner runner, final String[] words) {
        if (words.length != 2 || !words[1].matches("\\d+")) {
            throw new IllegalArgumentException("usage: " + words[0] + " NODE_NUMBER");
        }
        final int number = Integer.parseInt(words[1]);
        final Node node = runner.getNode(number - 1);
        if (node == null) {
            throw new IllegalArgumentException("no node " + number + " (cluster has "
                    + runner.getNodeSize() + ")");
        }
        return node;
    }

    private static void closeQuietly(final OpenSearchRunner runner) {
        try {
            runner.close();
        } catch (final IOException | RuntimeException e) {
            System.err.println("gkss: error while closing: " + e);
        }
    }
}
