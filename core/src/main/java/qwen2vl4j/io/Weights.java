package qwen2vl4j.io;

import com.fasterxml.jackson.databind.JsonNode;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.UnaryOperator;

/**
 * All tensors of a model folder: {@code model.safetensors}, or the shards listed in
 * {@code model.safetensors.index.json}. Names are normalised to the official hub checkpoint
 * ({@code model.layers.N...}, {@code visual.blocks.N...}): the newer {@code model.language_model.*}
 * and {@code model.visual.*} prefixes are accepted too. Every shard is validated when opened.
 */
public final class Weights implements AutoCloseable {
    private final Path folder;
    private final List<SafeTensors> files;
    private final Map<String, Tensor> tensors;
    private final Device device;
    /** Native memory of converted tensors that this instance frees when closed; null when it holds none. */
    private final Arena owned;

    private Weights(Path folder, List<SafeTensors> files, Map<String, Tensor> tensors, Device device, Arena owned) {
        this.folder = folder;
        this.files = files;
        this.tensors = tensors;
        this.device = device;
        this.owned = owned;
    }

    /** Opens every safetensors file of {@code folder} for the default device. Nothing is kept open when this throws. */
    public static Weights open(Path folder) {
        return open(folder, null);
    }

    /**
     * Opens every safetensors file of {@code folder}, each tensor tagged with {@code device} (null: the default),
     * where the products over it will run. Nothing is kept open when this throws.
     */
    public static Weights open(Path folder, Device device) {
        Path index = folder.resolve("model.safetensors.index.json");
        Path single = folder.resolve("model.safetensors");
        List<Path> shards = new ArrayList<>();
        Map<String, String> weightMap = null;
        if (Files.isRegularFile(index)) {
            JsonNode root = Json.read(index);
            JsonNode map = root.path("weight_map");
            if (!map.isObject() || map.isEmpty()) {
                throw new ModelLoadException("index " + index + ": field 'weight_map' is missing or empty");
            }
            weightMap = new LinkedHashMap<>();
            Set<String> shardNames = new TreeSet<>();
            for (var it = map.fields(); it.hasNext(); ) {
                var e = it.next();
                if (!e.getValue().isTextual()) {
                    throw new ModelLoadException("index " + index + ": weight_map entry " + e.getKey() + " is not a file name");
                }
                weightMap.put(e.getKey(), e.getValue().asText());
                shardNames.add(e.getValue().asText());
            }
            for (String s : shardNames) {
                Path p = folder.resolve(s).normalize();
                if (!p.startsWith(folder.normalize())) {
                    throw new ModelLoadException("index " + index + " names shard " + s + " outside the model folder");
                }
                if (!Files.isRegularFile(p)) {
                    throw new ModelLoadException("shard " + s + " listed in " + index + " is missing from " + folder);
                }
                shards.add(p);
            }
        } else if (Files.isRegularFile(single)) {
            shards.add(single);
        } else {
            throw new ModelLoadException("folder " + folder + " has no weights: neither model.safetensors nor model.safetensors.index.json");
        }
        List<SafeTensors> opened = new ArrayList<>();
        try {
            Map<String, Tensor> all = new LinkedHashMap<>();
            for (Path p : shards) {
                SafeTensors st = SafeTensors.open(p);
                opened.add(st);
                for (Tensor t : st.tensors().values()) {
                    String name = canonicalName(t.name());
                    if (weightMap != null && !p.getFileName().toString().equals(weightMap.get(t.name()))
                            && weightMap.containsKey(t.name())) {
                        continue; // the index says another shard owns it
                    }
                    Tensor prev = all.put(name, t.on(device));
                    if (prev != null) {
                        throw new ModelLoadException("tensor " + name + " appears twice: in " + prev.file() + " and " + t.file());
                    }
                }
            }
            if (weightMap != null) {
                for (var e : weightMap.entrySet()) {
                    if (!all.containsKey(canonicalName(e.getKey()))) {
                        throw new ModelLoadException("tensor " + e.getKey() + " is listed in " + index + " under " + e.getValue()
                                + " but that file does not hold it");
                    }
                }
            }
            return new Weights(folder, Collections.unmodifiableList(opened), Collections.unmodifiableMap(all), device, null);
        } catch (RuntimeException e) {
            opened.forEach(SafeTensors::close);
            throw e;
        }
    }

    /**
     * These weights with every tensor passed through {@code convert} (for instance quantized at load
     * time), still on this instance's device; the files stay shared, so closing either instance closes them
     * (closing both is harmless).
     */
    public Weights converted(UnaryOperator<Tensor> convert) {
        return converted(convert, null);
    }

    /**
     * {@link #converted(UnaryOperator)} for a conversion whose tensors live in {@code arena} (null: none), which the
     * returned instance owns: closing it frees them (closing this one does not). Tensors are converted one at a
     * time, in the order of the files.
     */
    public Weights converted(UnaryOperator<Tensor> convert, Arena arena) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        tensors.forEach((name, t) -> out.put(name, convert.apply(t).on(device)));
        return new Weights(folder, files, Collections.unmodifiableMap(out), device, arena);
    }

    /** The device every tensor is tagged with; null for the default. */
    public Device device() {
        return device;
    }

    /** Maps the newer transformers prefixes onto the hub checkpoint's names. */
    public static String canonicalName(String name) {
        if (name.startsWith("model.visual.")) return name.substring("model.".length());
        if (name.startsWith("model.language_model.")) return "model." + name.substring("model.language_model.".length());
        return name;
    }

    /** The tensor called {@code name} (hub naming); throws naming the folder when absent. */
    public Tensor tensor(String name) {
        Tensor t = tensors.get(name);
        if (t == null) throw new ModelLoadException("model " + folder + " has no tensor " + name);
        return t;
    }

    /** The tensor called {@code name}, checked to have exactly {@code shape}. */
    public Tensor tensor(String name, long... shape) {
        return tensor(name).expectShape(shape);
    }

    public boolean has(String name) {
        return tensors.containsKey(name);
    }

    public Map<String, Tensor> all() {
        return tensors;
    }

    public Path folder() {
        return folder;
    }

    @Override
    public void close() {
        files.forEach(SafeTensors::close);
        if (owned != null && owned.scope().isAlive()) owned.close();
    }
}
