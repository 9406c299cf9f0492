package qwen2vl4j.cli;

import java.util.ArrayList;
import java.util.List;
import qwen2vl4j.chat.ContentPart;
import qwen2vl4j.chat.Message;

/**
 * The template's {@code add_vision_id} labels ("Picture 1: ", "Video 1: ") written into the messages as text parts
 * before each image and video, numbered on from the counts of earlier turns. Rendering the labelled messages gives
 * the same prompt as rendering the originals with {@code add_vision_id=true}.
 */
final class VisionIds {
    private int images;
    private int videos;

    /** {@code messages} with a label before every image and video part; the counters carry over to the next call. */
    List<Message> label(List<Message> messages) {
        List<Message> out = new ArrayList<>();
        for (Message m : messages) {
            if (m.stringContent()) {
                out.add(m);
                continue;
            }
            List<ContentPart> parts = new ArrayList<>();
            for (ContentPart part : m.content()) {
                if (part instanceof ContentPart.Image) parts.add(new ContentPart.Text("Picture " + ++images + ": "));
                else if (part instanceof ContentPart.Video) parts.add(new ContentPart.Text("Video " + ++videos + ": "));
                parts.add(part);
            }
            out.add(new Message(m.role(), parts));
        }
        return out;
    }
}
