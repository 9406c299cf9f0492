package qwen2vl4j.spark;

import java.nio.file.Path;
import org.apache.spark.sql.SparkSession;

/** The tiny fixture model and one local[2] Spark session shared by this module's tests. */
final class SparkFixture {
    private static SparkSession spark;

    private SparkFixture() {}

    static Path fixtures() {
        String dir = System.getProperty("fixtures.dir");
        if (dir == null) throw new IllegalStateException("system property fixtures.dir is not set (surefire sets it)");
        return Path.of(dir);
    }

    static String tinyModel() {
        return fixtures().resolve("models/tiny-qwen2vl").toString();
    }

    static Path image(String name) {
        return fixtures().resolve("images").resolve(name);
    }

    static synchronized SparkSession spark() {
        if (spark == null) {
            spark = SparkSession.builder().master("local[2]").appName("qwen2vl4j-spark-test")
                    .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "2")
                    .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
                    .getOrCreate();
        }
        return spark;
    }
}
