import io.faissx.Faissx;
import io.faissx.Index;
import io.faissx.IndexFlatL2;
import io.faissx.SearchResult;
import java.util.Arrays;
import java.util.Random;

/**
 * faissx's quick start from Java: build an index, add vectors, search; in this process, then
 * (given a server address) on a faissx-server, with the same code and the same answers.
 *
 * <pre>
 * java -Dfaissx.jni.library=target/native/libfaissx_jni.so -cp target/classes \
 *     example/QuickStart.java [tcp://127.0.0.1:45678]
 * </pre>
 */
public class QuickStart {
    static final int D = 64;

    public static void main(String[] args) {
        System.out.println(Faissx.version());
        float[] database = random(10_000, 1);
        float[] queries = random(5, 2);

        long[] local = run("local", database, queries);
        if (args.length > 0) {
            Faissx.configure(args[0], null, null); // or FAISSX_SERVER=... in the environment
            long[] remote = run("remote " + args[0], database, queries);
            Faissx.configure(null, null, null);
            if (!Arrays.equals(local, remote)) {
                throw new AssertionError("local and remote results differ");
            }
            System.out.println("local and remote agree");
        }
    }

    static long[] run(String mode, float[] database, float[] queries) {
        try (Index index = new IndexFlatL2(D)) {
            index.add(database);
            SearchResult result = index.search(queries, 4);
            System.out.printf("%s: %d vectors, remote=%b%n", mode, index.ntotal(), index.isRemote());
            for (int q = 0; q < result.nq(); q++) {
                long[] labels = Arrays.copyOfRange(result.labels, q * result.k, (q + 1) * result.k);
                float[] distances = Arrays.copyOfRange(result.distances, q * result.k, (q + 1) * result.k);
                System.out.printf("  query %d: labels %s distances %s%n", q, Arrays.toString(labels),
                        Arrays.toString(distances));
            }
            return result.labels;
        }
    }

    static float[] random(int n, long seed) {
        Random r = new Random(seed);
        float[] x = new float[n * D];
        for (int i = 0; i < x.length; i++) {
            x[i] = r.nextFloat();
        }
        return x;
    }
}
