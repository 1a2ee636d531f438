package gkss.local.es;

import org.elasticsearch.entitlement.initialization.EntitlementInitialization;

import java.lang.instrument.Instrumentation;

/** The entitlement agent the distribution ships (not on Maven Central): the server attaches it to itself. */
public final class EntitlementAgent {
    private EntitlementAgent() {}

    public static void agentmain(String agentArgs, Instrumentation inst) throws Exception {
        EntitlementInitialization.initialize(inst);
    }
}
