package qwen2vl4j.cli;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The package rules of the whole engine, checked on the compiled classes of every module on this test's class path
 * (core, video, onednn, server, cli): the build fails when a dependency points the wrong way.
 *
 * <ul>
 *   <li>core's packages form no cycle, and each layer uses only those below it:
 *       {@code io} (files, tensors) ← {@code config} ← {@code kernels} ← {@code vision}, {@code text} ← the root package;</li>
 *   <li>no core class uses a front end (server, cli);</li>
 *   <li>the front ends reach the model through the public API: never the kernels or the vision tower, and of the
 *       text decoder only the session types the batched decoder needs; the benchmarks ({@code qwen2vl4j.cli.bench},
 *       which measure the kernels themselves) are the one exception;</li>
 *   <li>a compute backend module ({@code onednn}) knows only the seam: {@code kernels} and {@code io};</li>
 *   <li>only {@code kernels} uses {@code jdk.incubator.vector};</li>
 *   <li>the library reads no system property or environment variable; the command line does, and so does the
 *       Hugging Face cache lookup, which follows the variables Hugging Face's own tools read ({@code HF_HOME},
 *       {@code HF_HUB_CACHE}, {@code HF_TOKEN}, …).</li>
 * </ul>
 */
class ArchitectureTest {
    private static JavaClasses all;
    private static JavaClasses core;

    @BeforeAll
    static void importClasses() {
        all = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS).importPackages("qwen2vl4j");
        core = all.that(inCore());
    }

    private static DescribedPredicate<JavaClass> inCore() {
        return DescribedPredicate.describe("in the core library", c -> !c.getPackageName().startsWith("qwen2vl4j.server")
                && !c.getPackageName().startsWith("qwen2vl4j.cli") && !c.getPackageName().startsWith("qwen2vl4j.video")
                && !c.getPackageName().startsWith("qwen2vl4j.onednn"));
    }

    @Test
    void corePackagesFormNoCycle() {
        slices().matching("qwen2vl4j.(*)..").should().beFreeOfCycles().check(core);
    }

    @Test
    void ioAndConfigAreTheBottomLayers() {
        noClasses().that().resideInAPackage("qwen2vl4j.io..")
                .should().dependOnClassesThat().resideInAnyPackage("qwen2vl4j", "qwen2vl4j.config..", "qwen2vl4j.kernels..",
                        "qwen2vl4j.text..", "qwen2vl4j.vision..", "qwen2vl4j.preprocess..", "qwen2vl4j.generate..", "qwen2vl4j.chat..")
                .check(core);
        noClasses().that().resideInAPackage("qwen2vl4j.config..")
                .should().dependOnClassesThat().resideInAnyPackage("qwen2vl4j", "qwen2vl4j.kernels..", "qwen2vl4j.text..",
                        "qwen2vl4j.vision..", "qwen2vl4j.preprocess..", "qwen2vl4j.generate..", "qwen2vl4j.chat..")
                .check(core);
    }

    @Test
    void kernelsKnowNoModel() {
        noClasses().that().resideInAPackage("qwen2vl4j.kernels..")
                .should().dependOnClassesThat().resideInAnyPackage("qwen2vl4j", "qwen2vl4j.text..", "qwen2vl4j.vision..",
                        "qwen2vl4j.generate..", "qwen2vl4j.chat..", "qwen2vl4j.tokenizer..", "qwen2vl4j.hub..")
                .check(core);
    }

    @Test
    void modelComponentsDoNotReachUp() {
        // GenerationProgress is the one exception: the hook the vision tower and the prefill report progress through
        noClasses().that().resideInAnyPackage("qwen2vl4j.text..", "qwen2vl4j.vision..")
                .should().dependOnClassesThat(DescribedPredicate.describe("the root package, generate (but GenerationProgress), chat, "
                        + "tokenizer, hub or grounding", (JavaClass c) -> {
                            String p = c.getPackageName();
                            boolean above = p.equals("qwen2vl4j") || java.util.stream.Stream.of("generate", "chat", "tokenizer", "hub", "grounding")
                                    .anyMatch(x -> p.equals("qwen2vl4j." + x) || p.startsWith("qwen2vl4j." + x + "."));
                            return above && !c.getName().startsWith("qwen2vl4j.generate.GenerationProgress");
                        }))
                .check(core);
        noClasses().that().resideInAPackage("qwen2vl4j.vision..")
                .should().dependOnClassesThat().resideInAPackage("qwen2vl4j.text..").check(core);
    }

    @Test
    void coreUsesNoFrontEnd() {
        noClasses().that(inCore())
                .should().dependOnClassesThat().resideInAnyPackage("qwen2vl4j.server..", "qwen2vl4j.cli..")
                .check(all);
    }

    @Test
    void frontEndsUseThePublicApi() {
        noClasses().that().resideInAnyPackage("qwen2vl4j.server..", "qwen2vl4j.cli", "qwen2vl4j.video..")
                .should().dependOnClassesThat().resideInAnyPackage("qwen2vl4j.kernels..", "qwen2vl4j.vision..")
                .check(all);
    }

    @Test
    void frontEndsUseOnlyTheSessionTypesOfTheTextDecoder() {
        noClasses().that().resideInAnyPackage("qwen2vl4j.server..", "qwen2vl4j.cli", "qwen2vl4j.video..")
                .should().dependOnClassesThat(DescribedPredicate.describe("text decoder internals (all of qwen2vl4j.text but "
                        + "TextModel, TextSession, BatchDecoder, ContinuousBatcher, KvCacheType, ContextLimitException)", c -> c.getPackageName().equals("qwen2vl4j.text")
                        && !java.util.Set.of("TextModel", "TextSession", "BatchDecoder", "ContinuousBatcher", "KvCacheType",
                        "ContextLimitException").contains(topLevel(c))))
                .check(all);
    }

    @Test
    void aComputeBackendModuleKnowsOnlyTheSeam() {
        noClasses().that().resideInAPackage("qwen2vl4j.onednn..")
                .should().dependOnClassesThat().resideInAnyPackage("qwen2vl4j", "qwen2vl4j.config..", "qwen2vl4j.text..",
                        "qwen2vl4j.vision..", "qwen2vl4j.preprocess..", "qwen2vl4j.generate..", "qwen2vl4j.chat..", "qwen2vl4j.tokenizer..",
                        "qwen2vl4j.hub..", "qwen2vl4j.server..", "qwen2vl4j.cli..")
                .check(all);
    }

    @Test
    void onlyKernelsUseTheVectorApi() {
        noClasses().that().resideOutsideOfPackage("qwen2vl4j.kernels..")
                .and().resideOutsideOfPackage("qwen2vl4j.cli.bench..")
                .should().dependOnClassesThat().resideInAPackage("jdk.incubator.vector..")
                .check(all);
    }

    @Test
    void theLibraryReadsNoSystemPropertyOrEnvironment() {
        noClasses().that(inCore()).and().resideOutsideOfPackage("qwen2vl4j.hub..")
                .and().doNotHaveFullyQualifiedName("qwen2vl4j.io.ModelFolder")
                .should().callMethod(System.class, "getProperty", String.class)
                .orShould().callMethod(System.class, "getProperty", String.class, String.class)
                .orShould().callMethod(System.class, "getenv", String.class)
                .orShould().callMethod(System.class, "getenv")
                .orShould().callMethod(Integer.class, "getInteger", String.class)
                .orShould().callMethod(Boolean.class, "getBoolean", String.class)
                .check(all);
    }

    private static String topLevel(JavaClass c) {
        String name = c.getSimpleName().isEmpty() ? c.getName().substring(c.getPackageName().length() + 1) : c.getName()
                .substring(c.getPackageName().length() + 1);
        int dollar = name.indexOf('$');
        return dollar < 0 ? name : name.substring(0, dollar);
    }
}
