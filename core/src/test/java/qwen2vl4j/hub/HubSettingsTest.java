package qwen2vl4j.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HubSettingsTest {
    @TempDir
    Path home;

    @Test
    void defaultsAreThoseOfHuggingfaceHub() {
        HubSettings s = HubSettings.fromEnvironment(Map.of(), home);
        assertEquals(URI.create("https://huggingface.co"), s.endpoint());
        assertNull(s.token());
        assertFalse(s.offline());
        assertEquals(home.resolve(".cache/huggingface/hub"), s.cacheDir());
    }

    @Test
    void environmentOverridesEndpointTokenOfflineAndCache() {
        HubSettings s = HubSettings.fromEnvironment(Map.of("HF_ENDPOINT", "https://mirror.example/hf/", "HF_TOKEN", "hf_abc",
                "HF_HUB_OFFLINE", "yes", "HF_HOME", home.resolve("hf").toString()), home);
        assertEquals(URI.create("https://mirror.example/hf"), s.endpoint());
        assertEquals("hf_abc", s.token());
        assertTrue(s.offline());
        assertEquals(home.resolve("hf/hub"), s.cacheDir());
        assertFalse(s.toString().contains("hf_abc"), "the token is not printed");
        assertFalse(HubSettings.fromEnvironment(Map.of("HF_HUB_OFFLINE", "0"), home).offline());
    }

    @Test
    void theTokenFileIsReadWhenHfTokenIsNotSet() throws IOException {
        Path file = home.resolve(".cache/huggingface/token");
        Files.createDirectories(file.getParent());
        Files.writeString(file, "hf_from_file\n");
        assertEquals("hf_from_file", HubSettings.fromEnvironment(Map.of(), home).token());
    }

    @Test
    void aBadEndpointIsRejectedByName() {
        HubException e = assertThrows(HubException.class, () -> HubSettings.fromEnvironment(Map.of("HF_ENDPOINT", "ftp://x"), home));
        assertTrue(e.getMessage().startsWith("HF_ENDPOINT ftp://x"), e.getMessage());
    }

    @Test
    void repoIdsMapToCacheFolders() {
        assertEquals("models--Qwen--Qwen2-VL-2B-Instruct", RepoId.parse("Qwen/Qwen2-VL-2B-Instruct").cacheFolderName());
        assertEquals("models--gpt2", RepoId.parse("gpt2").cacheFolderName());
        assertThrows(HubException.class, () -> RepoId.parse("a/b/c"));
        assertThrows(HubException.class, () -> RepoId.parse("../etc"));
    }

    @Test
    void neededSelectionKeepsWhatTheModelUses() {
        assertTrue(FileSelection.NEEDED.includes("model-00001-of-00002.safetensors"));
        assertTrue(FileSelection.NEEDED.includes("model.safetensors.index.json"));
        assertTrue(FileSelection.NEEDED.includes("tokenizer.json"));
        assertTrue(FileSelection.NEEDED.includes("chat_template.json"));
        assertFalse(FileSelection.NEEDED.includes("README.md"));
        assertFalse(FileSelection.NEEDED.includes("onnx/model.safetensors"));
        assertTrue(FileSelection.ALL.includes("README.md"));
    }
}
