package gkss.local.es;

import org.elasticsearch.bootstrap.ServerArgs;
import org.elasticsearch.common.io.stream.OutputStreamStreamOutput;
import org.elasticsearch.common.settings.KeyStoreWrapper;
import org.elasticsearch.common.settings.Settings;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * What bin/elasticsearch does for one node, reduced to this project's needs: starts the server JVM
 * (the command after "--"), writes it the binary ServerArgs on stdin (the settings of CONFIG_DIR's
 * elasticsearch.yml, an empty keystore, the config and logs directories) and keeps stdin open. On
 * SIGTERM it writes the shutdown marker (0x1B) so the node stops cleanly, and it exits with the
 * node's exit code.
 *
 * <p>Usage: {@code NodeLauncher CONFIG_DIR LOGS_DIR -- JAVA [JVM options] -m org.elasticsearch.server/...}
 */
public final class NodeLauncher {
    private static final int SHUTDOWN_MARKER = 0x1B;
    private static final long STOP_SECONDS = 60;

    private NodeLauncher() {}

    public static void main(String[] args) throws Exception {
        int split = Arrays.asList(args).indexOf("--");
        if (split != 2 || args.length < 4) {
            System.err.println("usage: NodeLauncher CONFIG_DIR LOGS_DIR -- JAVA [options] -m MODULE/CLASS");
            System.exit(2);
        }
        Path configDir = Path.of(args[0]).toAbsolutePath();
        Path logsDir = Path.of(args[1]).toAbsolutePath();
        List<String> command = Arrays.asList(args).subList(split + 1, args.length);

        // The real launcher: elasticsearch.yml (plus -E settings, none here) become the node settings.
        Settings settings = Settings.builder().loadFromPath(configDir.resolve("elasticsearch.yml")).build();
        KeyStoreWrapper keystore = KeyStoreWrapper.create();
        ServerArgs serverArgs = new ServerArgs(false, true, null, keystore, settings, configDir, logsDir);

        ProcessBuilder builder = new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.INHERIT)
            .redirectError(ProcessBuilder.Redirect.INHERIT);
        Process server = builder.start();
        OutputStream stdin = server.getOutputStream();
        try {
            OutputStreamStreamOutput out = new OutputStreamStreamOutput(stdin);
            serverArgs.writeTo(out);
            out.flush();
        } catch (IOException e) {
            System.err.println("could not hand the settings to the server: " + e);
            server.destroyForcibly();
            System.exit(1);
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> stop(server, stdin), "stop-node"));
        System.exit(server.waitFor());
    }

    private static void stop(Process server, OutputStream stdin) {
        if (!server.isAlive()) {
            return;
        }
        try {
            stdin.write(SHUTDOWN_MARKER);
            stdin.flush();
            if (server.waitFor(STOP_SECONDS, TimeUnit.SECONDS)) {
                return;
            }
            System.err.println("node did not stop within " + STOP_SECONDS + " s; killing it");
        } catch (IOException | InterruptedException e) {
            System.err.println("could not ask the node to stop: " + e);
        }
        server.destroyForcibly();
    }
}
