package qwen2vl4j.io;

/**
 * Where the products over a tensor run, as a tensor's device in PyTorch: {@link Weights} opened for a device
 * tag each of their tensors with it, and the kernels' {@code Matrix} of such a tensor dispatches its products
 * there. The kernels' {@code qwen2vl4j.kernels.ComputeBackend} is the one kind of device; this package only
 * carries it, so that reading files needs nothing from the kernels.
 */
public interface Device {
    /** The short name it is selected by, e.g. {@code java}. */
    String name();
}
